/**
 * The daemon database and SQLite's companion files (-wal, -shm) are owner-only: they hold receipts,
 * approvals and the policy, and the data dir's 0700 is the only other thing keeping them private.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

let dir: string;
let umask: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bc-db-modes-'));
  // The usual default; with it SQLite alone would create every file 0644.
  umask = process.umask(0o022);
});

afterEach(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase file modes', () => {
  it('creates the database, -wal and -shm files 0600', () => {
    const file = join(dir, 'briefcase.db');
    const db = openDatabase(file);
    try {
      // A write creates the WAL (and the shared-memory index) if the migrations have not yet.
      db.exec('CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)');
      for (const path of [file, `${file}-wal`, `${file}-shm`])
        expect([path, modeOf(path)]).toEqual([path, 0o600]);
    } finally {
      db.close();
    }
  });

  it('narrows files an older version left 0644', () => {
    const file = join(dir, 'briefcase.db');
    for (const path of [file, `${file}-wal`, `${file}-shm`]) writeFileSync(path, '', { mode: 0o644 });
    expect(modeOf(file)).toBe(0o644);
    const db = openDatabase(file);
    try {
      for (const path of [file, `${file}-wal`, `${file}-shm`])
        expect([path, modeOf(path)]).toEqual([path, 0o600]);
    } finally {
      db.close();
    }
  });
});
