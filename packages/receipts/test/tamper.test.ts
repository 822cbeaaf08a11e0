import { canonicalJson, sha256Hex } from '@briefcase/core';
import type Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildChain, clock, openMemoryLog, readRow } from './helpers.js';

/** Body members the tamper edits; the first group are header members the row itself is checked against. */
const HEADER_FIELDS = ['seq', 'ts', 'kind', 'prevHash', 'v'] as const;
const EVENT_FIELDS = ['tool', 'costMicroUsd', 'reasons', 'addField', 'removeField'] as const;
type Field = (typeof HEADER_FIELDS)[number] | (typeof EVENT_FIELDS)[number];

type Tamper =
  | { type: 'editBody'; at: number; field: Field; rehash: boolean }
  | { type: 'deleteRow'; at: number }
  | { type: 'swapRows'; at: number; other: number }
  | { type: 'editTsColumn'; at: number }
  | { type: 'editHashColumn'; at: number }
  | { type: 'replayRow'; at: number }
  | { type: 'insertSeqZero'; at: number };

function editedBody(body: string, field: Field): string {
  const receipt = JSON.parse(body) as Record<string, unknown> & { reasons: unknown[] };
  switch (field) {
    case 'seq':
      receipt.seq = (receipt.seq as number) + 1;
      break;
    case 'ts':
      receipt.ts = clock(100_000).toISOString();
      break;
    case 'kind':
      receipt.kind = 'policy_update';
      break;
    case 'prevHash':
      receipt.prevHash = 'f'.repeat(64);
      break;
    case 'v':
      receipt.v = 2;
      break;
    case 'tool':
      receipt.tool = `${receipt.tool}x`;
      break;
    case 'costMicroUsd':
      receipt.costMicroUsd = (receipt.costMicroUsd as number) + 1;
      break;
    case 'reasons':
      receipt.reasons.push({ stage: 'risk', id: 'inserted', message: 'Added later.' });
      break;
    case 'addField':
      receipt.extra = true;
      break;
    case 'removeField':
      delete receipt.decision;
      break;
  }
  return canonicalJson(receipt);
}

function applyTamper(db: Database.Database, n: number, tamper: Tamper): void {
  const row = readRow(db, tamper.at);
  switch (tamper.type) {
    case 'editBody': {
      const body = editedBody(row.body, tamper.field);
      const hash = tamper.rehash ? sha256Hex(body) : row.hash;
      db.prepare('UPDATE receipts SET body = ?, hash = ? WHERE seq = ?').run(body, hash, tamper.at);
      return;
    }
    case 'deleteRow':
      db.prepare('DELETE FROM receipts WHERE seq = ?').run(tamper.at);
      return;
    case 'swapRows': {
      const other = readRow(db, tamper.other);
      const put = db.prepare('UPDATE receipts SET ts = ?, kind = ?, body = ?, hash = ? WHERE seq = ?');
      put.run(other.ts, other.kind, other.body, other.hash, tamper.at);
      put.run(row.ts, row.kind, row.body, row.hash, tamper.other);
      return;
    }
    case 'editTsColumn':
      db.prepare('UPDATE receipts SET ts = ? WHERE seq = ?').run(clock(100_000).toISOString(), tamper.at);
      return;
    case 'editHashColumn':
      db.prepare('UPDATE receipts SET hash = ? WHERE seq = ?').run(sha256Hex('forged'), tamper.at);
      return;
    case 'replayRow':
      db.prepare('INSERT INTO receipts (seq, ts, kind, body, hash) VALUES (?, ?, ?, ?, ?)').run(
        n + 1,
        row.ts,
        row.kind,
        row.body,
        row.hash,
      );
      return;
    case 'insertSeqZero':
      db.prepare('INSERT INTO receipts (seq, ts, kind, body, hash) VALUES (0, ?, ?, ?, ?)').run(
        row.ts,
        row.kind,
        row.body,
        row.hash,
      );
      return;
  }
}

/**
 * The first seq verification must report, worked out from the tamper alone; 'tail' when the
 * chain stays internally consistent and only a recorded head can reveal it (at seq n).
 */
function expectedBrokenAt(n: number, tamper: Tamper): number | 'tail' {
  switch (tamper.type) {
    case 'editBody': {
      const header = (HEADER_FIELDS as readonly string[]).includes(tamper.field);
      if (!tamper.rehash || header) return tamper.at;
      // A recomputed hash makes the row self-consistent: the next row's prevHash link breaks.
      return tamper.at < n ? tamper.at + 1 : 'tail';
    }
    case 'deleteRow':
      return tamper.at < n ? tamper.at : 'tail';
    case 'swapRows':
      return Math.min(tamper.at, tamper.other);
    case 'editTsColumn':
    case 'editHashColumn':
      return tamper.at;
    case 'replayRow':
      return n + 1;
    case 'insertSeqZero':
      return 1;
  }
}

const tamperArbitrary = (n: number): fc.Arbitrary<Tamper> => {
  const at = fc.integer({ min: 1, max: n });
  return fc.oneof(
    fc.record({
      type: fc.constant('editBody' as const),
      at,
      field: fc.constantFrom<Field>(...HEADER_FIELDS, ...EVENT_FIELDS),
      rehash: fc.boolean(),
    }),
    fc.record({ type: fc.constant('deleteRow' as const), at }),
    fc
      .tuple(at, at)
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => ({ type: 'swapRows' as const, at: a, other: b })),
    fc.record({ type: fc.constant('editTsColumn' as const), at }),
    fc.record({ type: fc.constant('editHashColumn' as const), at }),
    fc.record({ type: fc.constant('replayRow' as const), at }),
    fc.record({ type: fc.constant('insertSeqZero' as const), at }),
  );
};

const REASON_PATTERN: Record<Tamper['type'], RegExp> = {
  editBody: /receipt \d+: /,
  deleteRow: /receipt \d+ is missing \(deleted\?\)/,
  swapRows: /its contents are those of receipt \d+ \(reordered or moved\?\)/,
  editTsColumn: /timestamp column does not match/,
  editHashColumn: /hash does not match its contents \(edited\?\)/,
  replayRow: /its contents are those of receipt/,
  insertSeqZero: /receipt 1 expected but found receipt 0/,
};

describe('tamper evidence (property-based)', () => {
  it('reports the exact first affected seq for any single tamper', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }).chain((n) => fc.tuple(fc.constant(n), tamperArbitrary(n))),
        ([n, tamper]) => {
          const { db, log } = openMemoryLog();
          buildChain(log, n);
          const recordedHead = log.head();
          expect(log.verify().ok).toBe(true);

          applyTamper(db, n, tamper);
          const expected = expectedBrokenAt(n, tamper);
          const plain = log.verify();
          const againstHead = log.verify({ expectedHead: recordedHead });
          if (expected === 'tail') {
            expect(plain.ok).toBe(true);
            expect(againstHead).toMatchObject({ ok: false, brokenAt: n });
          } else {
            expect(plain).toMatchObject({ ok: false, brokenAt: expected, count: expected - 1 });
            if (!plain.ok) expect(plain.reason).toMatch(REASON_PATTERN[tamper.type]);
            expect(againstHead).toMatchObject({ ok: false, brokenAt: expected });
          }
          db.close();
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('tamper evidence (examples)', () => {
  it('gives the documented reasons', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 20);
    const edited = editedBody(readRow(db, 17).body, 'tool');
    db.prepare('UPDATE receipts SET body = ? WHERE seq = 17').run(edited);
    expect(log.verify()).toEqual({
      ok: false,
      count: 16,
      brokenAt: 17,
      reason: 'receipt 17: hash does not match its contents (edited?)',
    });
  });

  it('names a broken previous-hash link', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 5);
    const body = editedBody(readRow(db, 3).body, 'prevHash');
    db.prepare('UPDATE receipts SET body = ?, hash = ? WHERE seq = 3').run(body, sha256Hex(body));
    expect(log.verify()).toMatchObject({
      brokenAt: 3,
      reason: 'receipt 3: previous-hash link broken (reordered or inserted?)',
    });
  });

  it('detects deleting the newest receipts only against a recorded head', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 10);
    const recordedHead = log.head();
    db.prepare('DELETE FROM receipts WHERE seq > 7').run();
    expect(log.verify()).toMatchObject({ ok: true, count: 7 });
    expect(log.verify({ expectedHead: recordedHead })).toEqual({
      ok: false,
      count: 7,
      brokenAt: 8,
      reason:
        'receipt 8 is missing: the chain ends at receipt 7 but a head at receipt 10 was recorded (truncated?)',
    });
    // An older recorded head is still a prefix of the chain.
    const { log: reference } = openMemoryLog();
    buildChain(reference, 5);
    expect(log.verify({ expectedHead: reference.head() })).toMatchObject({ ok: true, count: 7 });
  });

  it('detects a rewritten history against a recorded head', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 6);
    const recordedHead = log.head();
    // Re-forge the chain from receipt 2 on, recomputing every hash and link.
    let prevHash = readRow(db, 1).hash;
    for (let seq = 2; seq <= 6; seq++) {
      const receipt = JSON.parse(readRow(db, seq).body) as Record<string, unknown>;
      receipt.prevHash = prevHash;
      if (seq === 2) receipt.costMicroUsd = 0;
      const body = canonicalJson(receipt);
      prevHash = sha256Hex(body);
      db.prepare('UPDATE receipts SET body = ?, hash = ? WHERE seq = ?').run(body, prevHash, seq);
    }
    expect(log.verify().ok).toBe(true);
    expect(log.verify({ expectedHead: recordedHead })).toMatchObject({
      ok: false,
      brokenAt: 6,
      reason: 'receipt 6: hash differs from the recorded head (history rewritten?)',
    });
  });

  it.each<[string, string]>([
    ['kind column shortened to a prefix', "UPDATE receipts SET kind = 'tool' WHERE seq = 3"],
    ['kind column lengthened', "UPDATE receipts SET kind = kind || '_x' WHERE seq = 3"],
    ['ts column shortened to a prefix', 'UPDATE receipts SET ts = substr(ts, 1, 10) WHERE seq = 3'],
    ['kind column given a quote', `UPDATE receipts SET kind = 'tool_call"' WHERE seq = 3`],
  ])('notices a %s', (_label, sql) => {
    const { db, log } = openMemoryLog();
    buildChain(log, 4);
    db.exec(sql);
    expect(log.verify()).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('verifies across verification pages (512 rows each)', () => {
    const { db, log } = openMemoryLog();
    db.transaction(() => buildChain(log, 1100))();
    expect(log.verify()).toMatchObject({ ok: true, count: 1100 });
    for (const seq of [512, 513, 1024, 1025, 1100]) {
      const saved = readRow(db, seq);
      db.prepare('UPDATE receipts SET ts = ? WHERE seq = ?').run('1999-01-01T00:00:00.000Z', seq);
      expect(log.verify()).toMatchObject({ ok: false, brokenAt: seq, count: seq - 1 });
      db.prepare('DELETE FROM receipts WHERE seq = ?').run(seq);
      const expected = seq === 1100 ? { ok: true, count: 1099 } : { ok: false, brokenAt: seq };
      expect(log.verify()).toMatchObject(expected);
      db.prepare('INSERT INTO receipts (seq, ts, kind, body, hash) VALUES (?, ?, ?, ?, ?)').run(
        saved.seq,
        saved.ts,
        saved.kind,
        saved.body,
        saved.hash,
      );
    }
    expect(log.verify()).toMatchObject({ ok: true, count: 1100 });
  });

  it('rejects a malformed expected head', () => {
    const { log } = openMemoryLog();
    expect(() => log.verify({ expectedHead: { seq: -1, hash: '0'.repeat(64) } })).toThrow(TypeError);
    expect(() => log.verify({ expectedHead: { seq: 1, hash: 'XYZ' } })).toThrow(TypeError);
    expect(() => log.verify({ expectedHead: { seq: 0, hash: 'a'.repeat(64) } })).toThrow(TypeError);
    expect(log.verify({ expectedHead: { seq: 0, hash: '0'.repeat(64) } }).ok).toBe(true);
  });

  it.each<[string, (receipt: Record<string, unknown>) => string]>([
    ['whitespace', (receipt) => JSON.stringify(receipt, null, 1)],
    ['unsorted keys', (receipt) => JSON.stringify(Object.fromEntries(Object.entries(receipt).reverse()))],
    ['a non-canonical number', (receipt) => canonicalJson(receipt).replace('"v":1', '"v":1.0')],
    ['a needless escape', (receipt) => canonicalJson(receipt).replace('"tool":"n', '"tool":"\\u006e')],
  ])('rejects a self-consistent but non-canonical body (%s)', (_label, reserialize) => {
    const { db, log } = openMemoryLog();
    buildChain(log, 4);
    const body = reserialize(JSON.parse(readRow(db, 4).body) as Record<string, unknown>);
    expect(body).not.toBe(readRow(db, 4).body);
    db.prepare('UPDATE receipts SET body = ?, hash = ? WHERE seq = 4').run(body, sha256Hex(body));
    expect(log.verify()).toMatchObject({
      ok: false,
      brokenAt: 4,
      reason: 'receipt 4: body is not in canonical JSON form (edited?)',
    });
  });

  it('rejects a body that carries its own hash member', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 2);
    const receipt = JSON.parse(readRow(db, 2).body) as Record<string, unknown>;
    const body = canonicalJson({ ...receipt, hash: 'a'.repeat(64) });
    db.prepare('UPDATE receipts SET body = ?, hash = ? WHERE seq = 2').run(body, sha256Hex(body));
    expect(log.verify()).toMatchObject({
      brokenAt: 2,
      reason: 'receipt 2: body contains a hash member (edited?)',
    });
  });

  it('verifies receipts whose canonical form needs escapes, surrogate pairs and exponents', () => {
    const { log } = openMemoryLog();
    log.append({ kind: 'tool_call', note: 'tab\there "q" \\ \u0000 \u007f \u2028', emoji: '😀' }, clock(1));
    log.append(
      { kind: 'tool_call', numbers: [0.1, -0, 1e21, 1e-7, 2 ** 53, -1.5e300, Number('123456789012345678')] },
      clock(2),
    );
    log.append({ kind: 'tool_call', '10': 1, '9': 2, '\u007f': 3, é: 4, '😀': 5, ﬁ: 6 }, clock(3));
    log.append({ kind: 'kind with "quotes" and \\ \n', deep: [[[[{ a: [{}] }]]]] }, clock(4));
    // 64 levels inside the receipt object: deeper than the fast scanner goes, so the reference decides.
    log.append({ kind: 'tool_call', nested: JSON.parse(`${'['.repeat(64)}${']'.repeat(64)}`) }, clock(5));
    expect(log.verify()).toMatchObject({ ok: true, count: 5 });
  });
});
