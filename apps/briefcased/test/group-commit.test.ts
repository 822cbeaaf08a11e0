import Database from 'better-sqlite3';
import { expect, it } from 'vitest';
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
