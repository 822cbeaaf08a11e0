import { BriefcaseError, isBriefcaseError, isReceiptKind, isRecord, type ReceiptKind } from '@briefcase/core';
import type { JsonValue, Receipt, ReceiptLog } from '@briefcase/receipts';
import { createGroupCommit } from '../db/group-commit.js';
import type { Db } from '../db/open.js';

/** Said when a receipt could not be written; the action it would record does not happen. */
export const RECEIPT_WRITE_FAILED =
  'The receipt for this call could not be written, so the call did not happen. Check the disk and the daemon log.';

/** The fields of a receipt besides its kind and the members the log sets (seq, ts, hashes). */
export type ReceiptFields = Record<string, JsonValue>;

/** What a unit of work inside {@link ReceiptWriter.commit} may do: append receipts to the same commit. */
export interface ReceiptTransaction {
  append(kind: ReceiptKind, fields: ReceiptFields): Receipt;
}

/**
 * The daemon's one receipt writer. Every receipt of every kind goes through it, on one group commit:
 * units of work queued in the same event-loop turn share one SQLite COMMIT and one fsync, each in its
 * own savepoint, and no promise settles before its COMMIT returned. A unit's own database writes
 * (a transactional tool's, an admin change's) commit atomically with its receipts.
 */
export interface ReceiptWriter {
  /** Runs `work` in the shared durable commit. Fails with `internal_error` when nothing was recorded. */
  commit<T>(work: (tx: ReceiptTransaction) => T): Promise<T>;
  /** Appends one receipt durably: `commit` of a single append. */
  record(kind: ReceiptKind, fields: ReceiptFields): Promise<Receipt>;
}

/** Creates the receipt writer of `db`; the daemon makes exactly one. */
export function createReceiptWriter(deps: {
  db: Db;
  receipts: ReceiptLog;
  clock: () => Date;
}): ReceiptWriter {
  const group = createGroupCommit(deps.db);
  const tx: ReceiptTransaction = {
    append(kind, fields) {
      // Data, not free-form strings: a kind missing from RECEIPT_KINDS is a bug, caught before writing.
      if (!isReceiptKind(kind)) throw new TypeError(`unknown receipt kind ${JSON.stringify(kind)}`);
      return deps.receipts.append({ ...fields, kind }, deps.clock());
    },
  };
  const commit = <T>(work: (t: ReceiptTransaction) => T): Promise<T> =>
    group
      .run(() => work(tx))
      .catch((error: unknown) => {
        throw isBriefcaseError(error)
          ? error
          : new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause: error });
      });
  return { commit, record: (kind, fields) => commit((t) => t.append(kind, fields)) };
}

/** `error` with the sequence number of the receipt that recorded it in `details.receiptSeq`. */
export function withReceiptSeq(error: BriefcaseError, receiptSeq: number): BriefcaseError {
  return new BriefcaseError(error.code, error.message, {
    details: { ...(isRecord(error.details) ? error.details : {}), receiptSeq },
    ...(error.approvalId ? { approvalId: error.approvalId } : {}),
  });
}

/** A failure of the writer as the error to answer with: always `internal_error`, never its text. */
export const writeFailure = (cause: unknown): BriefcaseError =>
  isBriefcaseError(cause) ? cause : new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause });
