import { openReceiptLog, RECEIPTS_SCHEMA_SQL, type ReceiptLog } from '@briefcase/receipts';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createChainHealth, type OnBrokenChain, onBrokenChainFromEnv } from '../src/chain-health.js';

function chainOf(n: number): { db: Database.Database; receipts: ReceiptLog } {
  const db = new Database(':memory:');
  db.exec(RECEIPTS_SCHEMA_SQL);
  const receipts = openReceiptLog(db);
  for (let i = 1; i <= n; i++) receipts.append({ kind: 'tool_call', tool: `t${i}` });
  return { db, receipts };
}

function watch(receipts: ReceiptLog, mode: OnBrokenChain = 'refuse-calls') {
  const logged: string[] = [];
  const health = createChainHealth({ receipts, mode, log: { error: (_f, msg) => logged.push(msg) } });
  return { health, logged };
}

const edit = (db: Database.Database, seq: number) =>
  db.prepare(`UPDATE receipts SET body = replace(body, '"v":1', '"v":1,"x":1') WHERE seq = ?`).run(seq);

describe('chain health', () => {
  it('is intact after the startup walk and follows what is appended', () => {
    const { receipts } = chainOf(3);
    const { health, logged } = watch(receipts);
    expect(health.check()).toMatchObject({
      ok: true,
      checkedThrough: 3,
      brokenAt: null,
      callsRefused: false,
    });
    receipts.append({ kind: 'tool_call', tool: 't4' });
    expect(health.check()).toMatchObject({ ok: true, checkedThrough: 4 });
    expect(health.refusal()).toBeUndefined();
    expect(logged).toEqual([]);
  });

  it('finds a break at startup, logs it once, and refuses calls (the default)', () => {
    const { db, receipts } = chainOf(3);
    edit(db, 2);
    const { health, logged } = watch(receipts, onBrokenChainFromEnv(undefined));
    expect(health.check()).toMatchObject({
      ok: false,
      brokenAt: 2,
      callsRefused: true,
      onBroken: 'refuse-calls',
    });
    expect(health.refusal()).toMatchObject({
      code: 'denied',
      details: { deniedBy: 'receipts', brokenAt: 2 },
    });
    health.check();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/BROKEN at receipt 2/);
  });

  it('finds a break in what was appended since, and deleted newest receipts', () => {
    const appended = chainOf(3);
    const one = watch(appended.receipts);
    appended.receipts.append({ kind: 'tool_call', tool: 't4' });
    edit(appended.db, 4);
    expect(one.health.check()).toMatchObject({ ok: false, brokenAt: 4 });

    const cut = chainOf(3);
    const two = watch(cut.receipts);
    cut.db.prepare('DELETE FROM receipts WHERE seq = 3').run();
    expect(two.health.check()).toMatchObject({
      ok: false,
      brokenAt: 3,
      reason: expect.stringMatching(/truncated/),
    });
  });

  it('takes in breaks others found, and only refuses calls in refuse-calls', () => {
    const { receipts } = chainOf(3);
    const { health } = watch(receipts, 'warn');
    health.noteUnreadable([{ seq: 2, reason: 'receipt 2 is corrupted and cannot be read' }]);
    expect(health.check()).toMatchObject({ ok: false, brokenAt: 2, callsRefused: false });
    expect(health.refusal()).toBeUndefined();
  });

  it('refuses to start in refuse-start, and refuses an unknown mode', () => {
    const { db, receipts } = chainOf(2);
    edit(db, 1);
    expect(() => watch(receipts, 'refuse-start')).toThrow(/broken at receipt 1.*does not start/);
    expect(() => onBrokenChainFromEnv('warm')).toThrow(/BRIEFCASE_ON_BROKEN_CHAIN must be/);
  });
});
