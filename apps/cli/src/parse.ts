import { parseUsd } from '@briefcase/client';
import { isRecord } from '@briefcase/core';
import { UsageError } from './errors.js';

/** `--args`: must be a JSON object; nothing is sent when it is not. */
export function parseArgsJson(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `--args is not valid JSON (${(error as Error).message}); pass an object, e.g. --args '{"text":"hi"}'`,
    );
  }
  if (!isRecord(value)) {
    throw new UsageError(`--args must be a JSON object, e.g. --args '{"text":"hi"}'`);
  }
  return value;
}

/** A USD cap: a decimal amount, or `none` for no cap. */
export function parseCap(flag: string, text: string): number | null {
  if (text.trim().toLowerCase() === 'none') return null;
  try {
    return parseUsd(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}; use a USD amount like 0.50, or "none"`);
  }
}

/** A USD amount (the same exact parser as budgets) in integer micro-USD. */
export function parseUsdFlag(flag: string, text: string): number {
  try {
    return parseUsd(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}; use a USD amount like 0.002`);
  }
}

/** A decimal integer within [min, max]. */
export function parseIntegerFlag(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return Number(text);
}

/** Seconds as a positive decimal, returned in milliseconds. */
export function parseSeconds(flag: string, text: string, maxSeconds: number): number {
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(seconds > 0) || seconds > maxSeconds) {
    throw new UsageError(`${flag} must be a number of seconds between 0 and ${maxSeconds}, got "${text}"`);
  }
  return Math.round(seconds * 1000);
}

/**
 * Seconds as a positive decimal (`5`, `0.5`, `.25`) in whole milliseconds within [1 ms, maxSeconds].
 * Read from the digits rather than through a float, so `0.29` is exactly 290 ms; a value finer than
 * a millisecond is refused instead of silently rounded (0.0004 would otherwise become 0 ms).
 */
export function parseMillisecondsFlag(flag: string, text: string, maxSeconds: number): number {
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text.trim());
  const whole = match?.[1] ?? '';
  const fraction = (match?.[2] ?? '').replace(/0+$/, '');
  const ms =
    match === null || (whole === '' && (match[2] ?? '') === '') || fraction.length > 3
      ? Number.NaN
      : Number(whole || '0') * 1000 + Number(fraction.padEnd(3, '0'));
  if (!(ms >= 1 && ms <= maxSeconds * 1000)) {
    throw new UsageError(
      `${flag} must be a number of seconds from 0.001 to ${maxSeconds} (whole milliseconds), got "${text}"`,
    );
  }
  return ms;
}
