import { BriefcaseError, isPlainObject, sha256Hex } from '@briefcase/core';
import type Database from 'better-sqlite3';
import {
  assertReceiptEvent,
  canonicalReceiptBody,
  GENESIS_HASH,
  type Receipt,
  type ReceiptEvent,
  receiptTimestamp,
} from './receipt.js';
import { type ChainHead, ChainWalk, type VerifyOptions, type VerifyResult } from './verify.js';

/** Default and maximum page sizes for `ReceiptLog.list`. */
export const LIST_DEFAULT_LIMIT = 50;
export const LIST_MAX_LIMIT = 1000;

/** Filters for `ReceiptLog.list`. */
export interface ListOptions {
  /** Page size, default 50; larger values are capped at 1000. */
  limit?: number;
  /** Only receipts with a smaller seq (for paging backwards: pass the last seq of the previous page). */
  beforeSeq?: number;
  /** Only receipts of this kind. */
  kind?: string;
}

/** The receipt log over one SQLite connection whose schema includes RECEIPTS_SCHEMA_SQL. */
export interface ReceiptLog {
  /**
   * Appends one receipt and returns it exactly as stored. Synchronous. Inside a caller's
   * transaction (`db.inTransaction`) it joins it, so the receipt commits or rolls back together
   * with the caller's other writes; otherwise it runs in its own IMMEDIATE transaction. The head is
   * read from the table every time, never cached, so a rolled-back append leaves no trace.
   * Throws a TypeError for an invalid event (reserved member, non-JSON value) or clock.
   */
  append(event: ReceiptEvent, now?: Date): Receipt;
  /** The newest receipt's seq and hash; `{ seq: 0, hash: GENESIS_HASH }` when empty. */
  head(): ChainHead;
  /** One receipt, or undefined. Throws BriefcaseError `internal_error` if the row is unreadable. */
  get(seq: number): Receipt | undefined;
  /** Newest first. Throws BriefcaseError `internal_error` if a row is unreadable. */
  list(opts?: ListOptions): Receipt[];
  /**
   * Like {@link ReceiptLog.list}, but a row that cannot be read does not fail the page: it is left
   * out of `receipts` and named in `unreadable` (by seq, with why), so a person still sees the rest.
   * Only readability is checked here; {@link ReceiptLog.verify} checks the chain.
   */
  listReadable(opts?: ListOptions): { receipts: Receipt[]; unreadable: UnreadableReceipt[] };
  count(): number;
  /**
   * Oldest first from `fromSeq` (default 1), streaming. While the iterator is open the connection
   * cannot write (better-sqlite3 rule), so finish or `break` before appending.
   */
  iterate(opts?: { fromSeq?: number }): IterableIterator<Receipt>;
  /**
   * Like {@link ReceiptLog.iterate}, but a row that cannot be read is yielded as `{ unreadable }`
   * instead of ending the walk, so an export carries everything else and says where the hole is.
   */
  iterateReadable(opts?: { fromSeq?: number }): IterableIterator<Receipt | { unreadable: UnreadableReceipt }>;
  /**
   * Walks the whole chain from seq 1 and reports the first missing, edited, reordered or inserted
   * receipt. Garbage rows are reported, never thrown. Deleting the newest receipts leaves a
   * consistent shorter chain: that is detected only against `expectedHead`, a head recorded earlier.
   */
  verify(opts?: VerifyOptions): VerifyResult;
  /**
   * Walks only the receipts after `from`, a head an earlier walk found intact: cheap enough to run
   * often, and it still catches a break in what was appended since (including a new receipt that
   * chains onto an edited head). Edits before `from` need a full {@link ReceiptLog.verify}.
   */
  verifyAfter(from: ChainHead): VerifyResult;
}

/** A stored row that cannot be read as a receipt: where it is and why. */
export interface UnreadableReceipt {
  seq: number;
  reason: string;
}

type Row = unknown[];

const COLUMNS = 'seq, ts, kind, body, hash';
/** Rows fetched per verification query: large enough to amortize the call, small in memory. */
const VERIFY_PAGE_ROWS = 512;

/** Prepares the statements once and returns the log. Run RECEIPTS_SCHEMA_SQL first. */
export function openReceiptLog(db: Database.Database): ReceiptLog {
  // Raw rows and safeIntegers(false): positional arrays are cheaper, and seq stays a number even
  // if the connection defaults to BigInt.
  const prepare = (sql: string) => db.prepare<unknown[], Row>(sql).raw().safeIntegers(false);
  const headStmt = prepare('SELECT seq, hash FROM receipts ORDER BY seq DESC LIMIT 1');
  const insertStmt = db.prepare(`INSERT INTO receipts (${COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
  const getStmt = prepare(`SELECT ${COLUMNS} FROM receipts WHERE seq = ?`);
  const countStmt = db.prepare<[], number>('SELECT count(*) FROM receipts').pluck().safeIntegers(false);
  const listStmts = {
    all: prepare(`SELECT ${COLUMNS} FROM receipts ORDER BY seq DESC LIMIT ?`),
    before: prepare(`SELECT ${COLUMNS} FROM receipts WHERE seq < ? ORDER BY seq DESC LIMIT ?`),
    kind: prepare(`SELECT ${COLUMNS} FROM receipts WHERE kind = ? ORDER BY seq DESC LIMIT ?`),
    kindBefore: prepare(
      `SELECT ${COLUMNS} FROM receipts WHERE kind = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
  };
  const iterateSql = `SELECT ${COLUMNS} FROM receipts WHERE seq >= ? ORDER BY seq`;
  const iterateStmt = prepare(iterateSql);
  // Pages in seq order (a rowid b-tree range scan). all() per page costs less per row than
  // iterate(). Pages may come from different read snapshots, which is sound because legitimate
  // writes only ever add receipts after the head: earlier pages are unchanged in later snapshots.
  const verifyFirstPageStmt = prepare(`SELECT ${COLUMNS} FROM receipts ORDER BY seq LIMIT ?`);
  const verifyNextPageStmt = prepare(`SELECT ${COLUMNS} FROM receipts WHERE seq > ? ORDER BY seq LIMIT ?`);

  /** The rows of one page of `list`, newest first. */
  function listRows(opts: ListOptions): Row[] {
    const limit = pageSize(opts.limit);
    const { beforeSeq, kind } = opts;
    if (beforeSeq !== undefined && !Number.isSafeInteger(beforeSeq)) {
      throw new TypeError('beforeSeq must be an integer');
    }
    if (kind !== undefined && typeof kind !== 'string') throw new TypeError('kind must be a string');
    if (kind === undefined) {
      return beforeSeq === undefined ? listStmts.all.all(limit) : listStmts.before.all(beforeSeq, limit);
    }
    return beforeSeq === undefined
      ? listStmts.kind.all(kind, limit)
      : listStmts.kindBefore.all(kind, beforeSeq, limit);
  }

  /** Walks pages of rows from `rows` on, for `verify` and `verifyAfter`. */
  function walkPages(walk: ChainWalk, first: Row[]): VerifyResult {
    let rows = first;
    for (;;) {
      for (const row of rows) {
        if (!walk.accept(row[0], row[1], row[2], row[3], row[4])) return walk.result();
      }
      if (rows.length < VERIFY_PAGE_ROWS) return walk.result();
      // Every row so far was accepted, so the last seq is a small exact integer.
      rows = verifyNextPageStmt.all(walk.nextSeq - 1, VERIFY_PAGE_ROWS);
    }
  }

  function head(): ChainHead {
    const row = headStmt.get();
    if (row === undefined) return { seq: 0, hash: GENESIS_HASH };
    const [seq, hash] = row;
    if (!Number.isSafeInteger(seq) || typeof hash !== 'string') {
      throw new BriefcaseError('internal_error', 'the newest receipt is corrupted; verify the receipt log');
    }
    return { seq: seq as number, hash };
  }

  function appendAtHead(event: ReceiptEvent, ts: string): Receipt {
    const previous = head();
    const seq = previous.seq + 1;
    const body = canonicalReceiptBody(event, { seq, ts, prevHash: previous.hash });
    const hash = sha256Hex(body);
    insertStmt.run(seq, ts, event.kind, body, hash);
    // Parse the stored text back: the result is exactly what was hashed, and shares nothing
    // with the caller's (mutable) event.
    return { ...(JSON.parse(body) as Omit<Receipt, 'hash'>), hash } as Receipt;
  }
  // IMMEDIATE takes the write lock before reading the head, so two connections cannot both
  // read the same head (a deferred read-then-write would fail with SQLITE_BUSY_SNAPSHOT).
  const appendInOwnTransaction = db.transaction(appendAtHead);

  return {
    append(event, now = new Date()) {
      assertReceiptEvent(event);
      const ts = receiptTimestamp(now);
      return db.inTransaction ? appendAtHead(event, ts) : appendInOwnTransaction.immediate(event, ts);
    },
    head,
    get(seq) {
      if (!Number.isSafeInteger(seq)) return undefined;
      const row = getStmt.get(seq);
      return row === undefined ? undefined : rowToReceipt(row);
    },
    list(opts = {}) {
      return listRows(opts).map(rowToReceipt);
    },
    listReadable(opts = {}) {
      const receipts: Receipt[] = [];
      const unreadable: UnreadableReceipt[] = [];
      for (const row of listRows(opts)) {
        const receipt = readRow(row);
        if (receipt !== undefined) receipts.push(receipt);
        else unreadable.push(unreadableRow(row));
      }
      return { receipts, unreadable };
    },
    count() {
      return countStmt.get() ?? 0;
    },
    iterate(opts = {}) {
      const fromSeq = opts.fromSeq ?? 1;
      if (!Number.isSafeInteger(fromSeq)) throw new TypeError('fromSeq must be an integer');
      // A statement can run only one query at a time; a second concurrent iteration gets its own.
      const stmt = iterateStmt.busy ? prepare(iterateSql) : iterateStmt;
      return mapRows(stmt.iterate(fromSeq));
    },
    iterateReadable(opts = {}) {
      const fromSeq = opts.fromSeq ?? 1;
      if (!Number.isSafeInteger(fromSeq)) throw new TypeError('fromSeq must be an integer');
      const stmt = iterateStmt.busy ? prepare(iterateSql) : iterateStmt;
      return mapReadableRows(stmt.iterate(fromSeq));
    },
    verify(opts = {}) {
      // The first page has no lower bound, so rows with seq <= 0 (inserted by hand) are reported.
      return walkPages(new ChainWalk(opts.expectedHead), verifyFirstPageStmt.all(VERIFY_PAGE_ROWS));
    },
    verifyAfter(from) {
      const walk = new ChainWalk(undefined, from);
      return walkPages(walk, verifyNextPageStmt.all(from.seq, VERIFY_PAGE_ROWS));
    },
  };
}

function* mapRows(rows: IterableIterator<Row>): IterableIterator<Receipt> {
  for (const row of rows) yield rowToReceipt(row);
}

function* mapReadableRows(
  rows: IterableIterator<Row>,
): IterableIterator<Receipt | { unreadable: UnreadableReceipt }> {
  for (const row of rows) {
    const receipt = readRow(row);
    yield receipt ?? { unreadable: unreadableRow(row) };
  }
}

function unreadableRow(row: Row): UnreadableReceipt {
  return { seq: Number(row[0]), reason: `receipt ${String(row[0])} is corrupted and cannot be read` };
}

function pageSize(limit: number | undefined): number {
  if (limit === undefined) return LIST_DEFAULT_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('limit must be a positive integer');
  return Math.min(limit, LIST_MAX_LIMIT);
}

/** The receipt in `row`, or undefined when its body is not a JSON object or its hash not text. */
function readRow(row: Row): Receipt | undefined {
  const [, , , body, hash] = row;
  let parsed: unknown;
  try {
    parsed = typeof body === 'string' ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isPlainObject(parsed) || typeof hash !== 'string') return undefined;
  return { ...parsed, hash } as Receipt;
}

function rowToReceipt(row: Row): Receipt {
  const receipt = readRow(row);
  if (receipt === undefined) {
    const seq = row[0];
    const which = typeof seq === 'number' ? `receipt ${seq}` : 'a receipt';
    throw new BriefcaseError(
      'internal_error',
      `${which} is corrupted and cannot be read; verify the receipt log`,
    );
  }
  return receipt;
}
