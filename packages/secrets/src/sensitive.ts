import { inspect } from 'node:util';

/** What every printing path of a {@link Sensitive} yields instead of the value. */
export const REDACTED = '[REDACTED]';

/**
 * Brand shared through the global symbol registry, so code that must not depend on this package
 * (the telemetry logger) can still recognise a Sensitive, even across duplicate module instances.
 */
export const SENSITIVE_BRAND: unique symbol = Symbol.for('briefcase.sensitive');

/**
 * A secret value that refuses to be printed. {@link Sensitive.reveal} is the only way to read it.
 *
 * The value lives in a `#private` field, so it is not an own enumerable property: spreading,
 * `Object.entries`, `structuredClone` and JSON paths never see it. Every printing path
 * (`toJSON`, `toString`, template strings, `util.inspect`/`console.log`) yields `[REDACTED]`,
 * which also holds for pino, whose serializer honours `toJSON`.
 */
export class Sensitive<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
    Object.freeze(this);
  }

  /** The wrapped value. Call it at the last moment, where the secret is actually used. */
  reveal(): T {
    return this.#value;
  }

  /** Always `[REDACTED]`: `JSON.stringify` and pino use this. */
  toJSON(): string {
    return REDACTED;
  }

  /** Always `[REDACTED]`. */
  toString(): string {
    return REDACTED;
  }

  /** Always `[REDACTED]`: covers `String(x)`, template literals and `+` concatenation. */
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  /** Always `[REDACTED]`: covers `util.inspect`, `console.log` and `util.format('%o')`. */
  [inspect.custom](): string {
    return REDACTED;
  }

  /** Brand read by {@link isSensitive} (a prototype getter, so it is never an own property). */
  get [SENSITIVE_BRAND](): true {
    return true;
  }

  /** Works across module instances (checks the registry brand, not the prototype chain). */
  static is(value: unknown): value is Sensitive<unknown> {
    return isSensitive(value);
  }
}

/** Wraps `value` in a {@link Sensitive}. */
export function sensitive<T>(value: T): Sensitive<T> {
  return new Sensitive(value);
}

/** True for any {@link Sensitive}, including one from a duplicate copy of this package. */
export function isSensitive(value: unknown): value is Sensitive<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[SENSITIVE_BRAND] === true
  );
}
