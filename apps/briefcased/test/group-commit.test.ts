import { fsync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGroupCommit } from '../src/db/group-commit.js';

it('commits work queued in one turn together, and a failing unit rolls back alone', async () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v TEXT)');
  const commit = createGroupCommit(db);
  let transactions = 0;
  const insert = (v: string) => () => {
    transactions += db.inTransaction ? 1 : 0;
    db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
    return v;
  };
  const results = await Promise.allSettled([
    commit.run(insert('a')),
    commit.run(() => {
      insert('b')();
      throw new Error('unit b fails');
    }),
    commit.run(insert('c')),
  ]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect(transactions).toBe(3);
  expect(db.prepare('SELECT v FROM t ORDER BY v').pluck().all()).toEqual(['a', 'c']);
});

it('settles only after the data is committed', async () => {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (v TEXT)');
  const commit = createGroupCommit(db);
  const value = await commit.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('x').changes);
  expect(value).toBe(1);
  expect(db.inTransaction).toBe(false);
  expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
});

describe('on a WAL database with synchronous=FULL, the fsync runs off the event loop', () => {
  let dir: string;
  let db: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
    db = new Database(join(dir, 'db.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (v TEXT)');
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** An fsync that completes only when the test says so. */
  function heldFsync() {
    const held: Array<() => void> = [];
    const fsyncs: number[] = [];
    const fake = (fd: number, callback: (error: NodeJS.ErrnoException | null) => void) => {
      fsyncs.push(fd);
      held.push(() => fsync(fd, callback));
    };
    return { fake, held, fsyncs };
  }

  it('settles only after the WAL is fsynced, and leaves the connection at FULL', async () => {
    const disk = heldFsync();
    const commit = createGroupCommit(db, { fsync: disk.fake });
    let settled = false;
    const done = commit.run(() => db.prepare('INSERT INTO t (v) VALUES (?)').run('x').changes);
    void done.then(() => {
      settled = true;
    });
    // Committed (visible) but not acknowledged while no fsync has completed.
    await vi.waitFor(() => expect(disk.held.length).toBeGreaterThan(0));
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    while (disk.held.length > 0) {
      expect(settled).toBe(false);
      disk.held.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await done).toBe(1);
    await commit.close();
  });

  it('shares one fsync among batches committed while another fsync runs', async () => {
    const disk = heldFsync();
    const commit = createGroupCommit(db, { fsync: disk.fake });
    const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
    const first = commit.run(insert('a'));
    await vi.waitFor(() => expect(disk.held.length).toBe(1)); // the directory's, first time
    disk.held.shift()?.();
    await vi.waitFor(() => expect(disk.held.length).toBe(1)); // the WAL's, for batch a
    const later = [commit.run(insert('b')), commit.run(insert('c'))];
    await new Promise((resolve) => setImmediate(resolve));
    const third = commit.run(insert('d'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(db.prepare('SELECT count(*) FROM t').pluck().get()).toBe(4);
    disk.held.shift()?.();
    expect(await first).toBe(1);
    await vi.waitFor(() => expect(disk.held.length).toBe(1)); // one more round for b, c and d
    disk.held.shift()?.();
    expect(await Promise.all([...later, third])).toEqual([1, 1, 1]);
    expect(disk.fsyncs.length).toBe(3);
    await commit.close();
  });

  it('a failed fsync rejects its batch and everything after it', async () => {
    const commit = createGroupCommit(db, {
      fsync: (_fd, callback) => callback(Object.assign(new Error('EIO'), { code: 'EIO' })),
    });
    await expect(commit.run(() => 1)).rejects.toThrow(/fsync of .* failed/);
    await expect(commit.run(() => 2)).rejects.toThrow(/fsync of .* failed/);
    await commit.close();
  });
});
