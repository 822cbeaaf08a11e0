import { isPlainObject } from '@briefcase/core';
import { type DestinationStream, type Level, type Logger, pino } from 'pino';

/** What redacted values are replaced with (the same marker `Sensitive` prints). */
export const REDACTED = '[REDACTED]';

/**
 * Property names that hold credentials in the objects we log. Matching is exact and
 * case-sensitive (Node lower-cases incoming header names; keep outgoing ones lower-case too).
 */
export const SECRET_LOG_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'password',
  'passphrase',
  'secret',
  'clientSecret',
  'client_secret',
  'privateKey',
  'private_key',
  'assertion',
  'client_assertion',
  'idToken',
  'apiKey',
  'api_key',
  'preimage',
];

/**
 * pino redact paths: every {@link SECRET_LOG_KEYS} entry at the top level, one level deep
 * (`*.x`) and two levels deep (`*.*.x`), plus request headers. Deeper nesting is NOT covered by
 * path redaction: never log raw upstream payloads; wrap secrets in `Sensitive` instead.
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  ...SECRET_LOG_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
];

/**
 * Registry brand of `Sensitive` from @briefcase/secrets. Read through `Symbol.for` so this
 * package does not depend on the secrets package.
 */
const SENSITIVE_BRAND = Symbol.for('briefcase.sensitive');

/** Log objects are walked this deep for Sensitive values; deeper ones still rely on their toJSON. */
const MAX_SCRUB_DEPTH = 6;

function isBrandedSensitive(value: object): boolean {
  return (value as Record<symbol, unknown>)[SENSITIVE_BRAND] === true;
}

function isPlainContainer(value: object): boolean {
  return Array.isArray(value) || isPlainObject(value);
}

/**
 * Returns `value` with every branded Sensitive replaced by `[REDACTED]`, copying only the
 * containers on the way to a replacement (the caller's objects are never mutated).
 */
export function scrubSensitive(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isBrandedSensitive(value)) return REDACTED;
  if (depth >= MAX_SCRUB_DEPTH || !isPlainContainer(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const scrubbed = scrubSensitive(item, depth + 1);
      if (scrubbed !== item) {
        copy ??= [...value];
        copy[index] = scrubbed;
      }
    });
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const scrubbed = scrubSensitive(item, depth + 1);
    if (scrubbed !== item) {
      copy ??= { ...(value as Record<string, unknown>) };
      copy[key] = scrubbed;
    }
  }
  return copy ?? value;
}

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Component name, logged as `name` on every line. */
  name: string;
  /** Minimum level; default `info`. */
  level?: Level | 'silent';
  /** Where lines go; default stdout. Tests pass a stream they capture. */
  destination?: DestinationStream;
}

/**
 * A pino logger that never prints credentials:
 * - values at {@link REDACTED_LOG_PATHS} become `[REDACTED]`;
 * - any `Sensitive` (from @briefcase/secrets) becomes `[REDACTED]`: via its brand in
 *   `formatters.log` and, at any depth, via its `toJSON`, which pino's serializer honours.
 *
 * Secrets interpolated into the message string itself cannot be recognised: pass them as
 * `Sensitive` (which prints `[REDACTED]` in templates too), never as plain strings.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
    formatters: {
      log: (object: Record<string, unknown>) => scrubSensitive(object) as Record<string, unknown>,
    },
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}
