import { join } from 'node:path';
import { BriefcaseError } from '@briefcase/core';
import { createFileSecretStore } from './file-store.js';
import { createKeyringSecretStore, type KeyringOptions, probeKeyring } from './keyring-store.js';
import { createMemorySecretStore } from './memory-store.js';
import { Sensitive } from './sensitive.js';
import { SECRET_BACKENDS, type SecretBackend, type SecretStore } from './store.js';

/** Environment variable that picks the backend (`keyring`, `file` or `memory`). */
export const SECRET_BACKEND_ENV = 'BRIEFCASE_SECRET_BACKEND';

/** Environment variable holding the master passphrase of the encrypted file store. */
export const MASTER_PASSPHRASE_ENV = 'BRIEFCASE_MASTER_PASSPHRASE';

/** Options for {@link openSecretStore}. */
export interface OpenSecretStoreOptions {
  /** Data directory of briefcased; the file store lives in `<dataDir>/secrets`. */
  dataDir: string;
  /** Backend to use; default from `BRIEFCASE_SECRET_BACKEND`, else keyring with file fallback. */
  backend?: SecretBackend;
  /** Master passphrase for the file store; default from `BRIEFCASE_MASTER_PASSPHRASE`. */
  passphrase?: Sensitive<string>;
  /** Asked for the passphrase only when the file store is needed and none was given. */
  promptPassphrase?: () => Promise<string>;
  /** Environment to read; default `process.env`. The only place this package reads env vars. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Options for the keyring backend and its probe. */
  keyring?: KeyringOptions;
}

/** The opened store, plus a sentence for the person running briefcased when the choice deserves one. */
export interface OpenedSecretStore {
  store: SecretStore;
  notice?: string;
}

const CONFIGURE_HINT = `Set ${MASTER_PASSPHRASE_ENV} to use the encrypted file store, or choose a backend with ${SECRET_BACKEND_ENV}=keyring|file|memory.`;

function parseBackend(value: string | undefined, source: string): SecretBackend | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const name = value.trim();
  if ((SECRET_BACKENDS as readonly string[]).includes(name)) return name as SecretBackend;
  // The value is not echoed: configuration typos sometimes contain the secret meant for the next variable.
  throw new BriefcaseError(
    'invalid_args',
    `Unknown secret backend in ${source}: use one of ${SECRET_BACKENDS.join(', ')}.`,
  );
}

async function resolvePassphrase(
  options: OpenSecretStoreOptions,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Sensitive<string> | null> {
  if (options.passphrase !== undefined) return options.passphrase;
  const fromEnv = env[MASTER_PASSPHRASE_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return new Sensitive(fromEnv);
  if (options.promptPassphrase === undefined) return null;
  let entered: unknown;
  try {
    entered = await options.promptPassphrase();
  } catch (error) {
    if (error instanceof BriefcaseError) throw error;
    throw new BriefcaseError(
      'internal_error',
      'Reading the master passphrase failed; the secret store was not opened.',
      {
        cause: error,
      },
    );
  }
  return typeof entered === 'string' && entered !== '' ? new Sensitive(entered) : null;
}

/**
 * Opens the secret store briefcased should use. Fails closed: it never silently picks a
 * weaker store.
 *
 * - An explicit backend (option or `BRIEFCASE_SECRET_BACKEND`) is used or fails with a clear error.
 * - Otherwise the OS keyring is used if {@link probeKeyring} succeeds; if not, the encrypted
 *   file store in `<dataDir>/secrets` (passphrase from the option, `BRIEFCASE_MASTER_PASSPHRASE`
 *   or the prompt), with a `notice` saying why; with no passphrase either, it throws.
 */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<OpenedSecretStore> {
  const env = options.env ?? process.env;
  const explicit = options.backend ?? parseBackend(env[SECRET_BACKEND_ENV], SECRET_BACKEND_ENV);
  if (options.backend !== undefined) parseBackend(options.backend, 'the backend option');
  const fileDir = join(options.dataDir, 'secrets');

  const openFileStore = async (why: string): Promise<SecretStore> => {
    const passphrase = await resolvePassphrase(options, env);
    if (passphrase === null) {
      throw new BriefcaseError(
        'internal_error',
        `${why}, and no master passphrase is available. ${CONFIGURE_HINT}`,
      );
    }
    return createFileSecretStore({ dir: fileDir, passphrase });
  };

  switch (explicit) {
    case 'memory':
      return {
        store: createMemorySecretStore(),
        notice: 'Secrets are kept in memory only and are lost when this process exits.',
      };
    case 'file':
      return { store: await openFileStore('The encrypted file secret store was requested') };
    case 'keyring': {
      const probe = await probeKeyring(options.keyring);
      if (!probe.ok) {
        throw new BriefcaseError(
          'internal_error',
          `The OS keyring secret store was requested but is unavailable (${probe.reason}). Unlock the keyring, or ${CONFIGURE_HINT.charAt(0).toLowerCase()}${CONFIGURE_HINT.slice(1)}`,
        );
      }
      return { store: createKeyringSecretStore(options.keyring) };
    }
    case undefined: {
      const probe = await probeKeyring(options.keyring);
      if (probe.ok) return { store: createKeyringSecretStore(options.keyring) };
      const store = await openFileStore(`The OS keyring is unavailable (${probe.reason})`);
      return {
        store,
        notice: `The OS keyring is unavailable (${probe.reason}); secrets are stored in the encrypted file store at ${fileDir} instead.`,
      };
    }
  }
}
