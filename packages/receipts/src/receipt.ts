import { canonicalJson, isPlainObject, sha256Hex } from '@briefcase/core';
import { assertJsonValue, type JsonValue } from './json.js';

/** `prevHash` of receipt 1: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** Version of the receipt format described in this package's README. */
export const RECEIPT_VERSION = 1;

/** The members the log itself sets; an event may not supply them (except `kind`, which it must). */
export const RESERVED_FIELDS: readonly string[] = Object.freeze([
  'v',
  'seq',
  'ts',
  'kind',
  'prevHash',
  'hash',
]);

/** What a caller asks the log to record: a kind plus any JSON fields. */
export type ReceiptEvent = { kind: string } & Record<string, JsonValue>;

/** The members every receipt carries, all covered by `hash`. */
export interface ReceiptHeader {
  v: 1;
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** ISO 8601 UTC with milliseconds, from the appender's clock. */
  ts: string;
  kind: string;
  /** `hash` of the previous receipt; GENESIS_HASH for receipt 1. */
  prevHash: string;
}

/**
 * One link of the chain: the header, the event's fields, and `hash` = lowercase hex SHA-256 of the
 * RFC 8785 canonical JSON of every other member.
 */
export type Receipt = ReceiptHeader & { hash: string } & Record<string, JsonValue>;

/**
 * SHA-256 (lowercase hex) of the RFC 8785 canonical JSON of a receipt without its `hash` member.
 * A `hash` member, if present, is ignored, so a complete receipt can be passed too.
 * Throws a TypeError when the object has no JSON representation.
 */
export function computeReceiptHash(receiptWithoutHash: object): string {
  const { hash: _ignored, ...rest } = receiptWithoutHash as Record<string, unknown>;
  return sha256Hex(canonicalJson(rest));
}

const RESERVED_FOR_EVENT = new Set(RESERVED_FIELDS.filter((name) => name !== 'kind'));
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Throws a TypeError unless `event` is a plain JSON object with a kind and no reserved member. */
export function assertReceiptEvent(event: unknown): asserts event is ReceiptEvent {
  if (!isPlainObject(event)) throw new TypeError('a receipt event must be a plain JSON object');
  if (typeof event.kind !== 'string' || event.kind.length === 0) {
    throw new TypeError('a receipt event needs a non-empty string "kind"');
  }
  for (const key of Object.keys(event)) {
    if (RESERVED_FOR_EVENT.has(key)) {
      throw new TypeError(`receipt event field "${key}" is reserved: the receipt log sets it`);
    }
    // Field names are chosen by the daemon, but only identifier-like ones are echoed, so a
    // misplaced value used as a key can never reach an error message.
    const label = FIELD_NAME.test(key) ? `receipt event field "${key}"` : 'a receipt event field';
    assertJsonValue(event[key], label);
  }
  if (Object.getOwnPropertySymbols(event).length > 0) {
    throw new TypeError('a receipt event must not have symbol-keyed properties');
  }
}

/** `now` as the receipt timestamp: ISO 8601 UTC with milliseconds. */
export function receiptTimestamp(now: Date): string {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new TypeError('the receipt clock must be a valid Date');
  }
  return now.toISOString();
}

/** Canonical body (receipt without hash) for an already validated event. */
export function canonicalReceiptBody(
  event: ReceiptEvent,
  header: { seq: number; ts: string; prevHash: string },
): string {
  // Spread (not assignment) so an own "__proto__" member stays a plain data member.
  return canonicalJson({
    ...event,
    v: RECEIPT_VERSION,
    seq: header.seq,
    ts: header.ts,
    kind: event.kind,
    prevHash: header.prevHash,
  });
}
