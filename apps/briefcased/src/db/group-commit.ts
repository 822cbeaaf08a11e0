import type { Db } from './open.js';

/**
 * Group commit: units of work queued during one turn of the event loop are written in one SQLite
 * transaction, so they share one COMMIT and one fsync. Each unit runs in its own savepoint, so a unit
 * that throws rolls back alone. Every promise settles only after the COMMIT returns, so nothing is
 * acknowledged before it is durable; if the COMMIT fails, every unit in the batch is rejected.
 */
export interface GroupCommit {
  run<T>(work: () => T): Promise<T>;
}

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Creates the group commit of `db`; the daemon keeps one for all receipts. */
export function createGroupCommit(db: Db): GroupCommit {
  let queue: Job[] = [];
  let scheduled = false;
  type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
  // Built once, not per batch: better-sqlite3 decides at call time whether a transaction function
  // opens a transaction or, inside one, a SAVEPOINT, so one wrapper serves every unit.
  const inSavepoint = db.transaction((work: () => unknown) => work());
  const inTransaction = db.transaction((batch: Job[], outcomes: Outcome[]) => {
    for (const job of batch) {
      try {
        // A nested better-sqlite3 transaction is a SAVEPOINT: a failing unit undoes only its own writes.
        outcomes.push({ ok: true, value: inSavepoint(job.work) });
      } catch (error) {
        outcomes.push({ ok: false, error });
      }
    }
  });

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    const outcomes: Outcome[] = [];
    try {
      inTransaction(batch, outcomes);
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) job.resolve(outcome.value);
      else job.reject(outcome?.error);
    });
  };

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
