import { createHash } from 'node:crypto';
import { isBriefcaseError } from '@briefcase/core';
import {
  computeReceiptHash,
  GENESIS_HASH,
  openReceiptLog,
  RECEIPTS_SCHEMA_SQL,
  type Receipt,
  type ReceiptEvent,
} from '@briefcase/receipts';
import { describe, expect, it } from 'vitest';
import { buildChain, clock, openMemoryLog, readRow, toolCallEvent } from './helpers.js';

describe('append, head, get, list, count, iterate', () => {
  it('starts empty', () => {
    const { log } = openMemoryLog();
    expect(log.head()).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(log.count()).toBe(0);
    expect(log.get(1)).toBeUndefined();
    expect(log.list()).toEqual([]);
    expect([...log.iterate()]).toEqual([]);
    expect(log.verify()).toEqual({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
  });

  it('chains receipts 1, 2, 3 and stores exactly what it returns', () => {
    const { db, log } = openMemoryLog();
    const first = log.append(toolCallEvent(1), clock(1));
    const second = log.append({ kind: 'policy_update', version: 2 }, clock(2));
    const third = log.append(
      { kind: 'budget_update', category: 'notes', limitMicroUsd: 5_000_000 },
      clock(3),
    );

    expect(first).toMatchObject({ v: 1, seq: 1, ts: '2025-01-01T00:00:01.000Z', prevHash: GENESIS_HASH });
    expect(second).toMatchObject({ seq: 2, kind: 'policy_update', version: 2, prevHash: first.hash });
    expect(third.prevHash).toBe(second.hash);
    for (const receipt of [first, second, third]) {
      expect(receipt.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(receipt.hash).toBe(computeReceiptHash(receipt));
      expect(log.get(receipt.seq)).toEqual(receipt);
      const row = readRow(db, receipt.seq);
      expect(row).toMatchObject({ ts: receipt.ts, kind: receipt.kind, hash: receipt.hash });
      expect(JSON.parse(row.body)).not.toHaveProperty('hash');
    }
    expect(log.head()).toEqual({ seq: 3, hash: third.hash });
    expect(log.count()).toBe(3);
    expect(log.verify()).toEqual({ ok: true, count: 3, head: { seq: 3, hash: third.hash } });
  });

  it('defaults the clock to now', () => {
    const { log } = openMemoryLog();
    const before = Date.now();
    const receipt = log.append({ kind: 'tool_call' });
    expect(Date.parse(receipt.ts)).toBeGreaterThanOrEqual(before);
    expect(receipt.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('returns a receipt detached from the caller event', () => {
    const { log } = openMemoryLog();
    const event = { kind: 'tool_call', reasons: [{ stage: 'policy', id: 'a', message: 'm' }] };
    const receipt = log.append(event, clock(1));
    event.reasons.push({ stage: 'budget', id: 'b', message: 'later' });
    expect(receipt.reasons).toHaveLength(1);
    expect(log.get(1)).toEqual(receipt);
  });

  it('lists newest first with limit, beforeSeq and kind', () => {
    const { log } = openMemoryLog();
    for (let i = 1; i <= 10; i++) {
      log.append(i % 2 === 0 ? { kind: 'policy_update', i } : toolCallEvent(i), clock(i));
    }
    const seqs = (receipts: Receipt[]) => receipts.map((r) => r.seq);
    expect(seqs(log.list())).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(seqs(log.list({ limit: 3 }))).toEqual([10, 9, 8]);
    expect(seqs(log.list({ limit: 3, beforeSeq: 8 }))).toEqual([7, 6, 5]);
    expect(seqs(log.list({ kind: 'policy_update' }))).toEqual([10, 8, 6, 4, 2]);
    expect(seqs(log.list({ kind: 'policy_update', beforeSeq: 6, limit: 1 }))).toEqual([4]);
    expect(log.list({ kind: 'nothing' })).toEqual([]);
    expect(log.list({ limit: 1 })[0]).toEqual(log.get(10));
  });

  it('rejects bad list options and caps the page size at 1000', () => {
    const { db, log } = openMemoryLog();
    expect(() => log.list({ limit: 0 })).toThrow(TypeError);
    expect(() => log.list({ limit: 1.5 })).toThrow(TypeError);
    expect(() => log.list({ beforeSeq: Number.NaN })).toThrow(TypeError);
    db.transaction(() => {
      for (let i = 1; i <= 1001; i++) log.append({ kind: 'tool_call', i }, clock(i));
    })();
    expect(log.list({ limit: 5000 })).toHaveLength(1000);
    expect(log.list()).toHaveLength(50);
  });

  it('iterates oldest first from a seq, and releases the statement when stopped early', () => {
    const { log } = openMemoryLog();
    buildChain(log, 5);
    expect([...log.iterate()].map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect([...log.iterate({ fromSeq: 4 })].map((r) => r.seq)).toEqual([4, 5]);
    for (const receipt of log.iterate()) {
      expect(receipt.seq).toBe(1);
      break;
    }
    // Two iterations open at once each get a statement.
    const outer = log.iterate();
    const inner = log.iterate({ fromSeq: 3 });
    expect(outer.next().value?.seq).toBe(1);
    expect(inner.next().value?.seq).toBe(3);
    outer.return?.();
    inner.return?.();
    expect(log.append({ kind: 'tool_call' }, clock(6)).seq).toBe(6);
  });

  it('keeps seq a number on a connection that defaults to BigInt', () => {
    const { db, log } = openMemoryLog();
    db.defaultSafeIntegers(true);
    const fresh = openReceiptLog(db);
    fresh.append({ kind: 'tool_call' }, clock(1));
    expect(fresh.head().seq).toBe(1);
    expect(fresh.count()).toBe(1);
    expect(log.get(1)?.seq).toBe(1);
    expect(fresh.verify().ok).toBe(true);
  });

  it('runs the schema idempotently', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 2);
    db.exec(RECEIPTS_SCHEMA_SQL);
    expect(log.count()).toBe(2);
  });
});

describe('transactions', () => {
  it('leaves no receipt when the caller transaction rolls back, and reuses the seq', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 2);
    const headBefore = log.head();
    const failing = db.transaction(() => {
      const receipt = log.append({ kind: 'budget_update', spent: 5 }, clock(3));
      expect(receipt.seq).toBe(3);
      expect(log.head().seq).toBe(3);
      throw new Error('budget write failed');
    });
    expect(() => failing()).toThrow('budget write failed');
    expect(log.count()).toBe(2);
    expect(log.head()).toEqual(headBefore);
    const next = log.append({ kind: 'budget_update', spent: 6 }, clock(4));
    expect(next).toMatchObject({ seq: 3, prevHash: headBefore.hash, spent: 6 });
    expect(log.verify().ok).toBe(true);
  });

  it('joins a caller transaction opened with BEGIN, and commits with it', () => {
    const { db, log } = openMemoryLog();
    db.exec('CREATE TABLE spend (amount INTEGER NOT NULL)');
    db.exec('BEGIN');
    db.prepare('INSERT INTO spend VALUES (?)').run(42);
    log.append({ kind: 'tool_call', costMicroUsd: 42 }, clock(1));
    expect(db.inTransaction).toBe(true);
    db.exec('ROLLBACK');
    expect(log.count()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM spend').pluck().get()).toBe(0);

    db.transaction(() => {
      db.prepare('INSERT INTO spend VALUES (?)').run(7);
      log.append({ kind: 'tool_call', costMicroUsd: 7 }, clock(2));
    })();
    expect(log.get(1)).toMatchObject({ seq: 1, costMicroUsd: 7, prevHash: GENESIS_HASH });
    expect(db.prepare('SELECT count(*) FROM spend').pluck().get()).toBe(1);
  });

  it('commits its own transaction when called outside one', () => {
    const { db, log } = openMemoryLog();
    log.append({ kind: 'tool_call' }, clock(1));
    expect(db.inTransaction).toBe(false);
    expect(log.count()).toBe(1);
  });
});

describe('event validation', () => {
  it.each(['v', 'seq', 'ts', 'prevHash', 'hash'])('rejects the reserved field %s', (field) => {
    const { log } = openMemoryLog();
    const event = { kind: 'tool_call', [field]: 'x' } as ReceiptEvent;
    expect(() => log.append(event, clock(1))).toThrow(TypeError);
    expect(() => log.append(event, clock(1))).toThrow(`"${field}" is reserved`);
    expect(log.count()).toBe(0);
  });

  it.each<[string, unknown]>([
    ['no kind', { tool: 'x' }],
    ['empty kind', { kind: '' }],
    ['numeric kind', { kind: 7 }],
    ['null event', null],
    ['array event', [{ kind: 'tool_call' }]],
    ['undefined value', { kind: 'k', a: undefined }],
    ['NaN', { kind: 'k', a: Number.NaN }],
    ['Infinity', { kind: 'k', a: [1, Number.POSITIVE_INFINITY] }],
    ['function', { kind: 'k', a: () => 1 }],
    ['bigint', { kind: 'k', a: 1n }],
    ['Date', { kind: 'k', a: new Date(0) }],
    ['Map', { kind: 'k', a: new Map() }],
    ['lone surrogate value', { kind: 'k', a: 'x\ud800' }],
    ['lone surrogate key', { kind: 'k', a: { '\udc00': 1 } }],
    ['array hole', { kind: 'k', a: new Array<number>(2) }],
    ['too deep', { kind: 'k', a: JSON.parse(`${'['.repeat(80)}${']'.repeat(80)}`) }],
    ['symbol key', { kind: 'k', [Symbol('s')]: 1 }],
  ])('rejects an event with %s', (_label, event) => {
    const { log } = openMemoryLog();
    expect(() => log.append(event as ReceiptEvent, clock(1))).toThrow(TypeError);
    expect(log.count()).toBe(0);
  });

  it('rejects a circular event without hanging', () => {
    const { log } = openMemoryLog();
    const loop: Record<string, unknown> = { kind: 'k' };
    loop.self = loop;
    expect(() => log.append(loop as ReceiptEvent, clock(1))).toThrow(/deeper than|circular/);
  });

  it('does not echo odd field names in errors', () => {
    const { log } = openMemoryLog();
    const secretLookingKey = 'sk_live_0123456789abcdef=+/';
    const event = { kind: 'k', [secretLookingKey]: Number.NaN } as ReceiptEvent;
    expect(() => log.append(event, clock(1))).toThrow(TypeError);
    try {
      log.append(event, clock(1));
    } catch (error) {
      expect(String(error)).not.toContain('sk_live');
    }
  });

  it('rejects an invalid clock', () => {
    const { log } = openMemoryLog();
    expect(() => log.append({ kind: 'k' }, new Date(Number.NaN))).toThrow(TypeError);
    expect(() => log.append({ kind: 'k' }, '2025-01-01' as unknown as Date)).toThrow(TypeError);
  });

  it('keeps an own "__proto__" member as data', () => {
    const { log } = openMemoryLog();
    const event = JSON.parse('{"kind":"k","__proto__":{"polluted":true}}') as ReceiptEvent;
    const receipt = log.append(event, clock(1));
    expect(Object.hasOwn(receipt, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(log.verify().ok).toBe(true);
  });
});

describe('canonical form and hash (RFC 8785)', () => {
  // Written by hand from RFC 8785: keys sorted by UTF-16 code units (§3.2.3: "10" < "9" < "A" <
  // "approvalId"; U+1F600 as D83D DE00 sorts before U+FB01, the reverse of code point order),
  // numbers in ECMAScript form (§3.2.2.3: -0 -> 0, 1e21 -> 1e+21, 1e-7 stays), strings escaped
  // only where JSON.stringify escapes (§3.2.2.2), no whitespace.
  const expectedBody = String.raw`{"10":true,"9":false,"A":0,"approvalId":null,"big":1e+21,"costMicroUsd":1500,"kind":"tool_call","note":"line\nbreak \"quoted\" \u0001 é €","prevHash":"${'0'.repeat(64)}","reasons":[{"id":"p1","message":"ok","stage":"policy"}],"seq":1,"small":[1e-7,0.5,100],"tool":"notes.search","ts":"2025-01-02T03:04:05.678Z","v":1,"é":"x","😀":"smile","ﬁ":"ligature"}`;
  // SHA-256 of expectedBody's UTF-8 bytes, computed independently (Python hashlib).
  const expectedHash = '48ce231fdca83c2a391b7b2cec05d9590f453214cdeffc565d2794cf1538b576';

  const event: ReceiptEvent = {
    kind: 'tool_call',
    tool: 'notes.search',
    ﬁ: 'ligature',
    '😀': 'smile',
    é: 'x',
    small: [1e-7, 0.5, 100],
    reasons: [{ stage: 'policy', id: 'p1', message: 'ok' }],
    note: 'line\nbreak "quoted" \u0001 é €',
    costMicroUsd: 1500,
    big: 1e21,
    approvalId: null,
    A: -0,
    '9': false,
    '10': true,
  };

  it('stores the hand-written canonical body and its SHA-256', () => {
    expect(createHash('sha256').update(expectedBody, 'utf8').digest('hex')).toBe(expectedHash);
    const { db, log } = openMemoryLog();
    const receipt = log.append(event, new Date('2025-01-02T03:04:05.678Z'));
    const row = readRow(db, 1);
    expect(row.body).toBe(expectedBody);
    expect(row.hash).toBe(expectedHash);
    expect(receipt.hash).toBe(expectedHash);
    expect(receipt.A).toBe(0);
    expect(computeReceiptHash(JSON.parse(expectedBody))).toBe(expectedHash);
    expect(log.verify()).toEqual({ ok: true, count: 1, head: { seq: 1, hash: expectedHash } });
  });

  it('covers seq, ts, kind and prevHash in the hash', () => {
    const base = JSON.parse(expectedBody) as Record<string, unknown>;
    for (const [field, value] of Object.entries({
      seq: 2,
      ts: '2025-01-02T03:04:05.679Z',
      kind: 'x',
      v: 2,
    })) {
      expect(computeReceiptHash({ ...base, [field]: value })).not.toBe(expectedHash);
    }
    expect(computeReceiptHash({ ...base, prevHash: '1'.repeat(64) })).not.toBe(expectedHash);
    expect(computeReceiptHash({ ...base, hash: 'ignored' })).toBe(expectedHash);
  });
});

describe('corrupted rows on read', () => {
  it('reports them as internal_error without the row contents', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 3);
    db.prepare("UPDATE receipts SET body = 'not json sk_live_secret' WHERE seq = 2").run();
    for (const read of [() => log.get(2), () => log.list(), () => [...log.iterate()]]) {
      try {
        read();
        expect.unreachable('reading a corrupted row must throw');
      } catch (error) {
        expect(isBriefcaseError(error) && error.code).toBe('internal_error');
        expect(String((error as Error).message)).toContain('receipt 2');
        expect(String((error as Error).message)).not.toContain('sk_live');
      }
    }
    expect(log.get(3)?.seq).toBe(3);
  });
});

describe('listReadable and verifyAfter', () => {
  it('lists what can be read and names the corrupt row instead of failing the page', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 5);
    db.prepare("UPDATE receipts SET body = 'not json' WHERE seq = 3").run();
    expect(() => log.list()).toThrow(/receipt 3 is corrupted/);
    const page = log.listReadable();
    expect(page.receipts.map((r) => r.seq)).toEqual([5, 4, 2, 1]);
    expect(page.unreadable).toEqual([{ seq: 3, reason: 'receipt 3 is corrupted and cannot be read' }]);
    expect(log.listReadable({ beforeSeq: 3 }).unreadable).toEqual([]);
  });

  it('walks only what follows a verified head, and still catches a break there', () => {
    const { db, log } = openMemoryLog();
    buildChain(log, 4);
    const verified = log.verify();
    if (!verified.ok) throw new Error('chain should verify');
    log.append(toolCallEvent(5), clock(5));
    log.append(toolCallEvent(6), clock(6));
    expect(log.verifyAfter(verified.head)).toEqual({ ok: true, count: 2, head: log.head() });
    // An edit before the head is not its business (a full verify's); one after it is.
    db.prepare('UPDATE receipts SET body = replace(body, \'"v":1\', \'"v":1,"x":1\') WHERE seq = 2').run();
    expect(log.verifyAfter(verified.head).ok).toBe(true);
    db.prepare('UPDATE receipts SET body = replace(body, \'"v":1\', \'"v":1,"x":1\') WHERE seq = 6').run();
    expect(log.verifyAfter(verified.head)).toMatchObject({ ok: false, brokenAt: 6 });
    expect(log.verify()).toMatchObject({ ok: false, brokenAt: 2 });
  });
});
