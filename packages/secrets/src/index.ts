export {
  createFileSecretStore,
  type FileSecretStoreOptions,
  META_FILE,
  SCRYPT_DEFAULTS,
} from './file-store.js';
export {
  createKeyringSecretStore,
  DEFAULT_KEYRING_SERVICE,
  type KeyringOptions,
  type KeyringProbeResult,
  keyringFailureReason,
  type LinuxKeyringStore,
  probeKeyring,
} from './keyring-store.js';
export { createMemorySecretStore } from './memory-store.js';
export {
  MASTER_PASSPHRASE_ENV,
  type OpenedSecretStore,
  type OpenSecretStoreOptions,
  openSecretStore,
  SECRET_BACKEND_ENV,
} from './open.js';
export { isSensitive, REDACTED, SENSITIVE_BRAND, Sensitive, sensitive } from './sensitive.js';
export {
  assertSecretId,
  isValidSecretId,
  MAX_SECRET_BYTES,
  MAX_SECRET_ID_LENGTH,
  SECRET_BACKENDS,
  type SecretBackend,
  type SecretStore,
} from './store.js';
