import { openReceiptLog } from '@briefcase/receipts';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { buildChain, openMemoryLog } from './helpers.js';

describe('garbage rows', () => {
  it.each<[string, string, RegExp]>([
    ['invalid JSON', 'not json', /receipt 3: body is not valid JSON/],
    ['an empty body', '', /receipt 3: body is not valid JSON/],
    ['truncated JSON', '{"v":1,"seq":3', /receipt 3: body is not valid JSON/],
    ['a JSON array', '[1,2,3]', /receipt 3: body is not a JSON object/],
    ['JSON null', 'null', /receipt 3: body is not a JSON object/],
    ['an empty object', '{}', /receipt 3: unknown receipt format version/],
  ])('reports a body that is %s at its seq without throwing', (_label, body, reason) => {
    const { db, log } = openMemoryLog();
    buildChain(log, 5);
    db.prepare('UPDATE receipts SET body = ? WHERE seq = 3').run(body);
    const result = log.verify();
    expect(result).toMatchObject({ ok: false, count: 2, brokenAt: 3 });
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('reports a row inserted before seq 1', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 2);
    db.prepare("INSERT INTO receipts VALUES (-5, 'x', 'y', '{}', 'z')").run();
    expect(log.verify()).toMatchObject({
      ok: false,
      brokenAt: 1,
      reason: 'receipt 1 expected but found receipt -5 (inserted or reordered?)',
    });
  });

  describe('in a table without the STRICT and NOT NULL guards', () => {
    // A database created by hand (or by an older build) may hold any SQLite type in any column.
    function looseLog(n: number) {
      const db = new Database(':memory:');
      db.exec('CREATE TABLE receipts (seq INTEGER PRIMARY KEY, ts, kind, body, hash)');
      const log = openReceiptLog(db);
      buildChain(log, n);
      return { db, log };
    }

    it.each<[string, string]>([
      ['NULL body', 'UPDATE receipts SET body = NULL WHERE seq = 2'],
      ['BLOB body', 'UPDATE receipts SET body = CAST(body AS BLOB) WHERE seq = 2'],
      ['integer body', 'UPDATE receipts SET body = 42 WHERE seq = 2'],
      ['NULL ts', 'UPDATE receipts SET ts = NULL WHERE seq = 2'],
      ['integer ts', 'UPDATE receipts SET ts = 7 WHERE seq = 2'],
      ['NULL kind', 'UPDATE receipts SET kind = NULL WHERE seq = 2'],
      ['NULL hash', 'UPDATE receipts SET hash = NULL WHERE seq = 2'],
      ['BLOB hash', 'UPDATE receipts SET hash = CAST(hash AS BLOB) WHERE seq = 2'],
      ['real hash', 'UPDATE receipts SET hash = 1.5 WHERE seq = 2'],
    ])('reports a %s at its seq without throwing', (_label, sql) => {
      const { db, log } = looseLog(3);
      expect(log.verify().ok).toBe(true);
      db.exec(sql);
      expect(log.verify()).toMatchObject({ ok: false, count: 1, brokenAt: 2 });
    });

    it('reports a corrupted newest row on append instead of chaining from it', () => {
      const { db, log } = looseLog(2);
      db.exec('UPDATE receipts SET hash = NULL WHERE seq = 2');
      expect(() => log.append({ kind: 'tool_call' })).toThrow(/newest receipt is corrupted/);
      expect(log.count()).toBe(2);
    });
  });
});
