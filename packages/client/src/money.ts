import type { MicroUsd } from '@briefcase/core';

const MICRO_DIGITS = 6;
const USD_PATTERN = /^(\d+)(?:\.(\d+))?$/;

function assertAmount(micro: MicroUsd): void {
  if (!Number.isSafeInteger(micro)) throw new RangeError('a micro-USD amount must be a safe integer');
}

/**
 * Parses a decimal USD amount ("1", "0.5", "0.000001") into integer micro-USD with string
 * arithmetic only, so no binary floating-point rounding can creep in.
 * Throws a RangeError with a message a person can act on for negatives, more than 6 decimal
 * places, non-numbers, or amounts beyond Number.MAX_SAFE_INTEGER micro-USD.
 */
export function parseUsd(text: string): MicroUsd {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new RangeError(`amount must not be negative: "${clip(text)}"`);
  const match = USD_PATTERN.exec(trimmed);
  if (match === null) {
    throw new RangeError(
      `not a USD amount: "${clip(text)}" (expected digits with an optional decimal point)`,
    );
  }
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > MICRO_DIGITS) {
    throw new RangeError(
      `amount has more than ${MICRO_DIGITS} decimal places (1 micro-USD is the smallest unit)`,
    );
  }
  const tooLarge = new RangeError(`amount is too large: "${clip(text)}"`);
  // Cheap length guard before BigInt so a megabyte of digits costs nothing.
  if (whole.replace(/^0+/, '').length > 16) throw tooLarge;
  const micro = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(MICRO_DIGITS, '0'));
  if (micro > BigInt(Number.MAX_SAFE_INTEGER)) throw tooLarge;
  return Number(micro);
}

/** The shortest exact decimal for an amount: 500000 → "0.5", 1000000 → "1", 1 → "0.000001". */
export function microUsdToDecimal(micro: MicroUsd): string {
  assertAmount(micro);
  const sign = micro < 0 ? '-' : '';
  const abs = Math.abs(micro);
  const whole = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000)
    .padStart(MICRO_DIGITS, '0')
    .replace(/0+$/, '');
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

/**
 * Human display: whole cents as "$0.50", anything finer with all six places ("$0.002000")
 * so a sub-cent price never looks like zero.
 */
export function formatUsd(micro: MicroUsd): string {
  assertAmount(micro);
  const sign = micro < 0 ? '-' : '';
  const abs = Math.abs(micro);
  const whole = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000).padStart(MICRO_DIGITS, '0');
  const shown = abs % 10_000 === 0 ? fraction.slice(0, 2) : fraction;
  return `${sign}$${whole}.${shown}`;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
