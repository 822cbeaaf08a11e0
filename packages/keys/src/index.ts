export {
  algorithmOfJwk,
  assertKeyAlgorithm,
  assertKeyPurpose,
  DEFAULT_KEY_ALGORITHM,
  isKeyAlgorithm,
  isKeyPurpose,
  jwkThumbprint,
  KEY_ALGORITHMS,
} from './algorithms.js';
export { signCompactJws } from './jws.js';
export { createSoftwareKeyStore, type SoftwareKeyStoreOptions } from './software-store.js';
export { JWS_TYP } from './typ.js';
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
export {
  type JwsFailure,
  type JwsVerification,
  parsePublicJwk,
  type VerifyJwsOptions,
  verifyCompactJws,
} from './verify.js';
