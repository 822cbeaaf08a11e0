import { hash as oneShotHash } from 'node:crypto';
import { canonicalJson, isPlainObject } from '@briefcase/core';
import { scanCanonicalObject, stringTokenEquals, TopLevelSpans, tokenEquals } from './canonical-scan.js';
import { GENESIS_HASH, RECEIPT_VERSION } from './receipt.js';

/** A chain position: the last receipt's seq and hash, `{ seq: 0, hash: GENESIS_HASH }` when empty. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Options for verification. */
export interface VerifyOptions {
  /**
   * A head recorded earlier (e.g. printed, exported, or kept elsewhere). Without it, deleting the
   * newest receipts (tail truncation) cannot be detected: the shorter chain is still internally
   * consistent. With it, verification fails when the chain is shorter than `seq` or when the
   * receipt at `seq` has a different hash. Signed chain heads will come later.
   */
  expectedHead?: ChainHead;
}

/**
 * Outcome of a verification. On failure, `brokenAt` is the seq of the first receipt that is
 * missing or does not check out, `count` how many receipts before it did, and `reason` a sentence
 * for a person.
 */
export type VerifyResult =
  | { ok: true; count: number; head: ChainHead }
  | { ok: false; count: number; brokenAt: number; reason: string };

const HEX_64 = /^[0-9a-f]{64}$/;

function sha256HexFast(text: string): string {
  // One-shot hashing (Node >= 20.12) avoids a Hash object per receipt; same bytes as sha256Hex.
  return oneShotHash('sha256', text, 'hex');
}

function checkExpectedHead(expectedHead: ChainHead | undefined): void {
  if (expectedHead === undefined) return;
  const { seq, hash } = expectedHead;
  if (!Number.isSafeInteger(seq) || seq < 0 || typeof hash !== 'string' || !HEX_64.test(hash)) {
    throw new TypeError('expectedHead must be { seq: non-negative integer, hash: 64 lowercase hex }');
  }
  if (seq === 0 && hash !== GENESIS_HASH) {
    throw new TypeError('expectedHead at seq 0 must carry the genesis hash (64 zeros)');
  }
}

/**
 * Walks a chain one row at a time. A row is the receipt's seq, ts and kind as stored beside the
 * body, the canonical body (receipt without hash) and the stored hash; all may be garbage.
 */
export class ChainWalk {
  private expectedSeq = 1;
  private running = GENESIS_HASH;
  private count = 0;
  private failure: { brokenAt: number; reason: string } | undefined;
  private hashAtExpectedHead: string | undefined;
  private readonly spans = new TopLevelSpans();

  /**
   * @param expectedHead a head recorded earlier, checked at the end (see {@link VerifyOptions})
   * @param start where the walk begins: after this head, taken as verified already (default: the
   *   genesis, before receipt 1)
   */
  constructor(
    private readonly expectedHead: ChainHead | undefined,
    start?: ChainHead,
  ) {
    checkExpectedHead(expectedHead);
    if (start !== undefined) {
      checkExpectedHead(start);
      this.expectedSeq = start.seq + 1;
      this.running = start.hash;
    }
  }

  /** The seq the next row must carry. */
  get nextSeq(): number {
    return this.expectedSeq;
  }

  /** Checks the next row; returns false (and remembers why) at the first break. */
  accept(seq: unknown, ts: unknown, kind: unknown, body: unknown, hash: unknown): boolean {
    if (seq !== this.expectedSeq) {
      const expected = this.expectedSeq;
      if (typeof seq === 'number' && seq > expected) {
        return this.fail(expected, `receipt ${expected} is missing (deleted?)`);
      }
      const found = typeof seq === 'number' ? `receipt ${seq}` : 'an entry without a valid seq';
      return this.fail(expected, `receipt ${expected} expected but found ${found} (inserted or reordered?)`);
    }
    if (!this.isIntactFast(seq, ts, kind, body, hash)) {
      const reason = this.referenceProblem(seq, ts, kind, body, hash);
      if (reason !== undefined) return this.fail(seq, reason);
    }
    if (seq === this.expectedHead?.seq) this.hashAtExpectedHead = hash as string;
    this.running = hash as string;
    this.expectedSeq = seq + 1;
    this.count++;
    return true;
  }

  /** Records a break found by the caller (e.g. an export entry that is not an object). */
  fail(brokenAt: number, reason: string): false {
    this.failure = { brokenAt, reason };
    return false;
  }

  /** The verdict for the rows seen so far, including the expected-head comparison. */
  result(): VerifyResult {
    if (this.failure !== undefined) return { ok: false, count: this.count, ...this.failure };
    const head = { seq: this.expectedSeq - 1, hash: this.running };
    const expected = this.expectedHead;
    if (expected !== undefined && expected.seq > 0) {
      if (expected.seq > head.seq) {
        return {
          ok: false,
          count: this.count,
          brokenAt: head.seq + 1,
          reason: `receipt ${head.seq + 1} is missing: the chain ends at receipt ${head.seq} but a head at receipt ${expected.seq} was recorded (truncated?)`,
        };
      }
      if (this.hashAtExpectedHead !== expected.hash) {
        return {
          ok: false,
          count: this.count,
          brokenAt: expected.seq,
          reason: `receipt ${expected.seq}: hash differs from the recorded head (history rewritten?)`,
        };
      }
    }
    return { ok: true, count: this.count, head };
  }

  /**
   * Proves a row intact without parsing it: canonical by the one-pass scanner, header members
   * compared as canonical tokens (canonical spelling is unique per value, so token equality is
   * value equality), then the hash. `false` means "not proven"; the reference check decides.
   */
  private isIntactFast(seq: number, ts: unknown, kind: unknown, body: unknown, hash: unknown): boolean {
    const spans = this.spans;
    return (
      typeof body === 'string' &&
      typeof ts === 'string' &&
      typeof kind === 'string' &&
      typeof hash === 'string' &&
      scanCanonicalObject(body, spans) &&
      !spans.hasHash &&
      tokenEquals(body, spans.vStart, spans.vEnd, '1') &&
      tokenEquals(body, spans.seqStart, spans.seqEnd, String(seq)) &&
      stringTokenEquals(body, spans.tsStart, spans.tsEnd, ts, spans.escapeFree) &&
      stringTokenEquals(body, spans.kindStart, spans.kindEnd, kind, spans.escapeFree) &&
      // The running hash is lowercase hex (genesis, or a hash that matched a computed digest), so
      // its canonical token is always quote, hex, quote.
      stringTokenEquals(body, spans.prevHashStart, spans.prevHashEnd, this.running, true) &&
      sha256HexFast(body) === hash
    );
  }

  /** The reference check, straight from the format's definition; undefined when the row is intact. */
  private referenceProblem(
    seq: number,
    ts: unknown,
    kind: unknown,
    body: unknown,
    hash: unknown,
  ): string | undefined {
    if (typeof body !== 'string') return `receipt ${seq}: body is not text (corrupted?)`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `receipt ${seq}: body is not valid JSON (corrupted?)`;
    }
    if (!isPlainObject(parsed)) return `receipt ${seq}: body is not a JSON object (corrupted?)`;
    if (!isCanonical(parsed, body)) return `receipt ${seq}: body is not in canonical JSON form (edited?)`;
    if (Object.hasOwn(parsed, 'hash')) return `receipt ${seq}: body contains a hash member (edited?)`;
    if (parsed.v !== RECEIPT_VERSION) return `receipt ${seq}: unknown receipt format version (edited?)`;
    if (parsed.seq !== seq) {
      return Number.isSafeInteger(parsed.seq)
        ? `receipt ${seq}: its contents are those of receipt ${parsed.seq} (reordered or moved?)`
        : `receipt ${seq}: its contents carry no valid sequence number (edited?)`;
    }
    if (typeof ts !== 'string' || parsed.ts !== ts) {
      return `receipt ${seq}: timestamp column does not match its contents (edited?)`;
    }
    if (typeof kind !== 'string' || parsed.kind !== kind) {
      return `receipt ${seq}: kind column does not match its contents (edited?)`;
    }
    if (parsed.prevHash !== this.running) {
      return `receipt ${seq}: previous-hash link broken (reordered or inserted?)`;
    }
    if (typeof hash !== 'string' || sha256HexFast(body) !== hash) {
      return `receipt ${seq}: hash does not match its contents (edited?)`;
    }
    return undefined;
  }
}

function isCanonical(parsed: unknown, text: string): boolean {
  try {
    return canonicalJson(parsed) === text;
  } catch {
    // Lone surrogates, or nesting deep enough to exhaust the stack: not canonical.
    return false;
  }
}

/**
 * Verifies receipts outside the database, e.g. an NDJSON export parsed back, in order. Each
 * entry's hash is recomputed from the RFC 8785 canonical JSON of the entry minus `hash`; seqs must
 * run 1, 2, 3, … and each `prevHash` must be the previous entry's hash. Never throws on bad
 * entries (only on a malformed `expectedHead`). Truncation of the newest entries is detected only
 * with `expectedHead`.
 */
export function verifyReceipts(receipts: Iterable<unknown>, opts: VerifyOptions = {}): VerifyResult {
  const walk = new ChainWalk(opts.expectedHead);
  let position = 0;
  for (const entry of receipts) {
    position++;
    if (!isPlainObject(entry)) {
      walk.fail(walk.nextSeq, `entry ${position} is not a receipt object (corrupted?)`);
      break;
    }
    const { hash, ...withoutHash } = entry;
    let body: string;
    try {
      body = canonicalJson(withoutHash);
    } catch {
      walk.fail(walk.nextSeq, `entry ${position} cannot be serialized as canonical JSON (corrupted?)`);
      break;
    }
    if (!walk.accept(entry.seq, entry.ts, entry.kind, body, hash)) break;
  }
  return walk.result();
}
