import { BriefcaseError } from '@briefcase/core';
import { isSensitive, type Sensitive } from './sensitive.js';

/** Where a {@link SecretStore} keeps its values. */
export type SecretBackend = 'keyring' | 'file' | 'memory';

/** Every backend name, as data (used to validate configuration). */
export const SECRET_BACKENDS: readonly SecretBackend[] = ['keyring', 'file', 'memory'];

/**
 * A place to keep credentials. Values only ever leave it wrapped in a {@link Sensitive}.
 * Ids are not secret (they may appear in logs and errors); values always are.
 */
export interface SecretStore {
  readonly backend: SecretBackend;
  /** The value stored under `id`, or null when there is none. */
  get(id: string): Promise<Sensitive<string> | null>;
  /** Stores `value` under `id`, replacing any previous value. */
  put(id: string, value: string | Sensitive<string>): Promise<void>;
  /** Removes `id`; resolves false when there was nothing to remove. */
  delete(id: string): Promise<boolean>;
  /** Every stored id, sorted. */
  list(): Promise<string[]>;
}

/** Longest accepted secret id. */
export const MAX_SECRET_ID_LENGTH = 128;

/** Largest accepted secret value, in UTF-8 bytes (OS keyrings and our file format stay small). */
export const MAX_SECRET_BYTES = 64 * 1024;

const SECRET_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** True when `id` is 1–128 characters of `[A-Za-z0-9._-]`. */
export function isValidSecretId(id: unknown): id is string {
  return typeof id === 'string' && SECRET_ID_PATTERN.test(id);
}

/**
 * Throws `invalid_args` unless `id` is a valid secret id.
 * The message never echoes the rejected input: a malformed id may be a secret pasted in the wrong place.
 */
export function assertSecretId(id: unknown): asserts id is string {
  if (isValidSecretId(id)) return;
  const shape = typeof id === 'string' ? `a ${id.length}-character string` : `a value of type ${typeof id}`;
  throw new BriefcaseError(
    'invalid_args',
    `Invalid secret id (got ${shape}): ids are 1-${MAX_SECRET_ID_LENGTH} characters of A-Z, a-z, 0-9, '.', '_' and '-'.`,
  );
}

/** Unwraps and checks a value passed to `put` (a string or a Sensitive string, at most {@link MAX_SECRET_BYTES}). */
export function secretValueOf(id: string, value: string | Sensitive<string>): string {
  const raw: unknown = isSensitive(value) ? value.reveal() : value;
  if (typeof raw !== 'string') {
    throw new BriefcaseError('invalid_args', `The value for secret "${id}" must be a string.`);
  }
  if (Buffer.byteLength(raw, 'utf8') > MAX_SECRET_BYTES) {
    throw new BriefcaseError(
      'invalid_args',
      `The value for secret "${id}" is larger than ${MAX_SECRET_BYTES} bytes and was not stored.`,
    );
  }
  return raw;
}
