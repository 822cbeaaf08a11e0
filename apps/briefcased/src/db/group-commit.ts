import { closeSync, fsync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './open.js';

/**
 * Group commit: units of work queued during one turn of the event loop are written in one SQLite
 * transaction, so they share one COMMIT and one fsync. Each unit runs in its own savepoint, so a unit
 * that throws rolls back alone. Every promise settles only after the COMMIT is durable, so nothing is
 * acknowledged before it is on disk; if the COMMIT (or its fsync) fails, every unit in the batch is
 * rejected.
 *
 * On a WAL database opened with `synchronous=FULL`, the fsync is taken off the event loop: the batch
 * commits with `synchronous=NORMAL` (the frames reach the WAL file, not yet the disk), then the WAL
 * file is fsynced on libuv's thread pool, and only then do the batch's promises settle. While one
 * fsync runs, later batches commit and wait for the next one, so a busy daemon shares one fsync among
 * many calls and never blocks its event loop on the disk. One fsync of the WAL file makes durable
 * every frame written before it, and a checkpoint (which moves frames into the database file) syncs
 * both files itself in NORMAL mode, so an acknowledged unit is on disk either way, exactly as with
 * FULL. Other writers on the connection keep `synchronous=FULL`.
 *
 * A failed fsync leaves the disk state unknown (the kernel may drop the dirty pages and report
 * success next time), so it is fatal: that batch and every later unit are rejected.
 */
export interface GroupCommit {
  run<T>(work: () => T): Promise<T>;
  /** Waits for the fsync in flight, then releases the WAL file; later units are rejected. */
  close(): Promise<void>;
}

/** Test seams. */
export interface GroupCommitOptions {
  /** `fs.fsync`, replaceable to simulate a failing disk. */
  fsync?: (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => void;
}

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Committed {
  batch: Job[];
  outcomes: Outcome[];
}

/** SQLite's numbers for `PRAGMA synchronous`. */
const SYNCHRONOUS_FULL = 2;

function settle({ batch, outcomes }: Committed): void {
  batch.forEach((job, i) => {
    const outcome = outcomes[i];
    if (outcome?.ok) job.resolve(outcome.value);
    else job.reject(outcome?.error);
  });
}

/** Creates the group commit of `db`; the daemon keeps one for all receipts. */
export function createGroupCommit(db: Db, options: GroupCommitOptions = {}): GroupCommit {
  const fsyncFd = options.fsync ?? fsync;
  let queue: Job[] = [];
  let scheduled = false;
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

  // The fsync moves off the event loop only where that keeps the same guarantee: a file database in
  // WAL mode whose commits are meant to be fsynced (FULL). Anything else commits as configured.
  const deferSync =
    !db.memory &&
    db.pragma('journal_mode', { simple: true }) === 'wal' &&
    db.pragma('synchronous', { simple: true }) === SYNCHRONOUS_FULL;
  const walPath = `${db.name}-wal`;
  const toNormal = deferSync ? db.prepare('PRAGMA synchronous = NORMAL') : undefined;
  const toFull = deferSync ? db.prepare('PRAGMA synchronous = FULL') : undefined;
  let walFd: number | undefined;
  /** Committed batches waiting for the next fsync. */
  let unsynced: Committed[] = [];
  let syncing: Promise<void> | undefined;
  let failure: Error | undefined;
  let closed = false;

  const fail = (error: Error, committed: Committed[]) => {
    failure ??= error;
    for (const { batch } of committed) for (const job of batch) job.reject(failure);
  };

  const fsyncOnce = (fd: number) =>
    new Promise<void>((resolve, reject) => fsyncFd(fd, (error) => (error ? reject(error) : resolve())));

  /** Opens the WAL file once (it exists from the first commit on and stays while `db` is open). */
  const openWal = async (): Promise<number> => {
    if (walFd !== undefined) return walFd;
    const fd = openSync(walPath, 'r+');
    // The WAL file's directory entry must be durable too, or a power cut could lose the whole file.
    const dir = openSync(dirname(walPath), 'r');
    try {
      await fsyncOnce(dir);
    } finally {
      closeSync(dir);
    }
    walFd = fd;
    return fd;
  };

  /** Runs fsync rounds until every committed batch is durable; one round at a time. */
  const syncLoop = async (): Promise<void> => {
    while (unsynced.length > 0 && failure === undefined) {
      const round = unsynced;
      unsynced = [];
      try {
        await fsyncOnce(await openWal());
      } catch (error) {
        fail(new Error(`fsync of ${walPath} failed; refusing further writes`, { cause: error }), [
          ...round,
          ...unsynced,
        ]);
        unsynced = [];
        return;
      }
      for (const committed of round) settle(committed);
    }
  };

  const flush = () => {
    scheduled = false;
    const batch = queue;
    queue = [];
    if (failure !== undefined) {
      for (const job of batch) job.reject(failure);
      return;
    }
    const outcomes: Outcome[] = [];
    toNormal?.run();
    try {
      inTransaction(batch, outcomes);
    } catch (error) {
      for (const job of batch) job.reject(error);
      return;
    } finally {
      toFull?.run();
    }
    if (!deferSync) {
      settle({ batch, outcomes });
      return;
    }
    unsynced.push({ batch, outcomes });
    syncing ??= syncLoop().finally(() => {
      syncing = undefined;
    });
  };

  return {
    run<T>(work: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (closed) {
          reject(new Error('the group commit is closed'));
          return;
        }
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async close() {
      closed = true;
      if (scheduled) await new Promise((resolve) => setImmediate(resolve));
      while (syncing !== undefined) await syncing;
      if (walFd !== undefined) closeSync(walFd);
      walFd = undefined;
    },
  };
}
