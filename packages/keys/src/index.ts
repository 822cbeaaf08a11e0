export { signCompactJws } from './jws.js';
export {
  KEY_PURPOSES,
  type KeyAlgorithm,
  type KeyBackend,
  type KeyInfo,
  type KeyPurpose,
  type KeyStore,
  type PublicJwk,
  type Signer,
} from './types.js';
