import { randomBytes } from 'node:crypto';
import { BriefcaseError } from '@briefcase/core';
import { AsyncEntry, type EntryOptions, findCredentialsAsync } from '@napi-rs/keyring';
import { Sensitive } from './sensitive.js';
import { assertSecretId, isValidSecretId, type SecretStore, secretValueOf } from './store.js';

/** Keyring service name under which Credential Briefcase files its entries. */
export const DEFAULT_KEYRING_SERVICE = 'credential-briefcase';

/**
 * Which Linux credential store to use. `secret-service` (the default) is the persistent
 * desktop keyring (gnome-keyring, KWallet). `auto` lets the library fall back to the kernel
 * keyring (`keyutils`), which forgets everything at logout or reboot, so it is opt-in only.
 * Ignored on macOS and Windows.
 */
export type LinuxKeyringStore = 'secret-service' | 'keyutils' | 'auto';

/** Options for {@link createKeyringSecretStore} and {@link probeKeyring}. */
export interface KeyringOptions {
  /** Keyring service name; default {@link DEFAULT_KEYRING_SERVICE}. */
  service?: string;
  /** Default `secret-service`. */
  linuxStore?: LinuxKeyringStore;
  /**
   * Per-operation deadline in ms (default 30 000; 5 000 for the probe). A locked desktop
   * keyring may open an unlock dialog and wait forever; we fail closed instead.
   */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

function entryOptions(linuxStore: LinuxKeyringStore): EntryOptions | undefined {
  return linuxStore === 'auto' ? undefined : { linux: { store: linuxStore } };
}

/** First line of a platform error, bounded: keyring errors describe the platform, never the value. */
export function keyringFailureReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text.split('\n', 1)[0]?.trim() || 'unknown keyring error';
  return firstLine.length > 200 ? `${firstLine.slice(0, 200)}...` : firstLine;
}

function keyringError(action: string, error: unknown): BriefcaseError {
  return new BriefcaseError(
    'internal_error',
    `The OS keyring could not ${action}: ${keyringFailureReason(error)}. Check that your keyring is unlocked.`,
    { cause: error },
  );
}

/**
 * A {@link SecretStore} on the operating system keyring (macOS Keychain, Windows Credential
 * Manager, Secret Service on Linux) through `@napi-rs/keyring`. Each id is one entry
 * (service = `service`, account = id) holding the value as-is.
 */
export function createKeyringSecretStore(options: KeyringOptions = {}): SecretStore {
  const service = options.service ?? DEFAULT_KEYRING_SERVICE;
  const storeOptions = entryOptions(options.linuxStore ?? 'secret-service');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const entry = (id: string) => new AsyncEntry(service, id, storeOptions);

  return {
    backend: 'keyring',
    async get(id) {
      assertSecretId(id);
      let value: string | null;
      try {
        value = await entry(id).getPassword(AbortSignal.timeout(timeoutMs));
      } catch (error) {
        throw keyringError(`read secret "${id}"`, error);
      }
      return value === null ? null : new Sensitive(value);
    },
    async put(id, value) {
      assertSecretId(id);
      const raw = secretValueOf(id, value);
      try {
        await entry(id).setPassword(raw, AbortSignal.timeout(timeoutMs));
      } catch (error) {
        throw keyringError(`store secret "${id}"`, error);
      }
    },
    async delete(id) {
      assertSecretId(id);
      try {
        return await entry(id).deleteCredential(AbortSignal.timeout(timeoutMs));
      } catch (error) {
        throw keyringError(`delete secret "${id}"`, error);
      }
    },
    async list() {
      let credentials: Array<{ account: string }>;
      try {
        credentials = await findCredentialsAsync(service, undefined, AbortSignal.timeout(timeoutMs));
      } catch (error) {
        throw keyringError('list secrets', error);
      }
      // Other programs may file entries under the same service name: only valid ids are ours.
      const ids = new Set(credentials.map((c) => c.account).filter(isValidSecretId));
      return [...ids].sort();
    },
  };
}

/** Result of {@link probeKeyring}. */
export type KeyringProbeResult = { ok: true } | { ok: false; reason: string };

/**
 * Checks that the OS keyring really works by writing, reading back and deleting a random probe
 * entry. Never throws. On a Linux machine without an unlocked Secret Service it reports
 * `AccessDenied` or a D-Bus error: that is the normal case where we fall back to the file store.
 */
export async function probeKeyring(options: KeyringOptions = {}): Promise<KeyringProbeResult> {
  const service = options.service ?? DEFAULT_KEYRING_SERVICE;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const expected = randomBytes(16).toString('hex');
  let probe: AsyncEntry | undefined;
  let written = false;
  try {
    // The constructor itself throws when a pinned store is unreachable (no D-Bus session).
    probe = new AsyncEntry(
      service,
      `briefcase-probe-${randomBytes(8).toString('hex')}`,
      entryOptions(options.linuxStore ?? 'secret-service'),
    );
    await probe.setPassword(expected, AbortSignal.timeout(timeoutMs));
    written = true;
    const readBack = await probe.getPassword(AbortSignal.timeout(timeoutMs));
    if (readBack !== expected) return { ok: false, reason: 'the keyring returned a different value' };
    written = false;
    if (!(await probe.deleteCredential(AbortSignal.timeout(timeoutMs)))) {
      return { ok: false, reason: 'the keyring did not delete the probe entry' };
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: keyringFailureReason(error) };
  } finally {
    // Best effort: do not leave probe entries behind when a later step failed.
    if (written) await probe?.deleteCredential(AbortSignal.timeout(timeoutMs)).catch(() => undefined);
  }
}
