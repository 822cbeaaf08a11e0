import { computeReceiptHash, GENESIS_HASH, type ReceiptLog, verifyReceipts } from '@briefcase/receipts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildChain, openMemoryLog } from './helpers.js';

type Entry = Record<string, unknown>;

/** NDJSON export and parse-back, as an auditor would do it. */
function exportAndParse(log: ReceiptLog): Entry[] {
  const ndjson = [...log.iterate()].map((receipt) => `${JSON.stringify(receipt)}\n`).join('');
  return ndjson
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as Entry);
}

function exportedChain(n: number): { entries: Entry[]; head: { seq: number; hash: string } } {
  const { log } = openMemoryLog();
  buildChain(log, n);
  return { entries: exportAndParse(log), head: log.head() };
}

const FIELDS = ['seq', 'prevHash', 'v', 'ts', 'kind', 'tool', 'costMicroUsd', 'reasons'] as const;
type Field = (typeof FIELDS)[number];
/** Members an exported entry is checked against besides its hash (ts and kind have no separate column here). */
const LINK_FIELDS: readonly Field[] = ['seq', 'prevHash', 'v'];

type Tamper =
  | { type: 'edit'; at: number; field: Field; rehash: boolean }
  | { type: 'drop'; at: number }
  | { type: 'swap'; at: number; other: number }
  | { type: 'duplicate'; at: number }
  | { type: 'forgeHash'; at: number }
  | { type: 'notAnObject'; at: number };

function edit(entry: Entry, field: Field): Entry {
  const changed: Entry = structuredClone(entry);
  switch (field) {
    case 'seq':
    case 'v':
    case 'costMicroUsd':
      changed[field] = (changed[field] as number) + 1;
      break;
    case 'reasons':
      changed.reasons = [];
      break;
    case 'prevHash':
      changed.prevHash = 'e'.repeat(64);
      break;
    default:
      changed[field] = `${changed[field]}!`;
  }
  return changed;
}

function applyTamper(entries: Entry[], tamper: Tamper): unknown[] {
  const list: unknown[] = [...entries];
  const i = tamper.at - 1;
  const entry = entries[i] as Entry;
  switch (tamper.type) {
    case 'edit': {
      const changed = edit(entry, tamper.field);
      if (tamper.rehash) changed.hash = computeReceiptHash(changed);
      list[i] = changed;
      break;
    }
    case 'drop':
      list.splice(i, 1);
      break;
    case 'swap':
      list[i] = entries[tamper.other - 1];
      list[tamper.other - 1] = entry;
      break;
    case 'duplicate':
      list.splice(i + 1, 0, structuredClone(entry));
      break;
    case 'forgeHash':
      list[i] = { ...entry, hash: 'd'.repeat(64) };
      break;
    case 'notAnObject':
      list[i] = JSON.stringify(entry);
      break;
  }
  return list;
}

function expectedBrokenAt(n: number, tamper: Tamper): number | 'tail' {
  switch (tamper.type) {
    case 'edit':
      if (!tamper.rehash || LINK_FIELDS.includes(tamper.field)) return tamper.at;
      return tamper.at < n ? tamper.at + 1 : 'tail';
    case 'drop':
      return tamper.at < n ? tamper.at : 'tail';
    case 'swap':
      return Math.min(tamper.at, tamper.other);
    case 'duplicate':
      return tamper.at + 1;
    case 'forgeHash':
    case 'notAnObject':
      return tamper.at;
  }
}

const tamperArbitrary = (n: number): fc.Arbitrary<Tamper> => {
  const at = fc.integer({ min: 1, max: n });
  return fc.oneof(
    fc.record({
      type: fc.constant('edit' as const),
      at,
      field: fc.constantFrom(...FIELDS),
      rehash: fc.boolean(),
    }),
    fc.record({ type: fc.constant('drop' as const), at }),
    fc
      .tuple(at, at)
      .filter(([a, b]) => a !== b)
      .map(([a, b]) => ({ type: 'swap' as const, at: a, other: b })),
    fc.record({ type: fc.constant('duplicate' as const), at }),
    fc.record({ type: fc.constant('forgeHash' as const), at }),
    fc.record({ type: fc.constant('notAnObject' as const), at }),
  );
};

describe('verifyReceipts on an export', () => {
  it('passes an intact NDJSON export and reproduces the head', () => {
    const { entries, head } = exportedChain(25);
    expect(verifyReceipts(entries)).toEqual({ ok: true, count: 25, head });
    expect(verifyReceipts(entries, { expectedHead: head })).toEqual({ ok: true, count: 25, head });
  });

  it('accepts any iterable, including an empty one', () => {
    const { entries, head } = exportedChain(3);
    function* stream() {
      yield* entries;
    }
    expect(verifyReceipts(stream())).toEqual({ ok: true, count: 3, head });
    expect(verifyReceipts([])).toEqual({ ok: true, count: 0, head: { seq: 0, hash: GENESIS_HASH } });
  });

  it('reports the exact first affected seq for any single tamper (property-based)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 40 }).chain((n) => fc.tuple(fc.constant(n), tamperArbitrary(n))),
        ([n, tamper]) => {
          const { entries, head } = exportedChain(n);
          const tampered = applyTamper(entries, tamper);
          const expected = expectedBrokenAt(n, tamper);
          const plain = verifyReceipts(tampered);
          const againstHead = verifyReceipts(tampered, { expectedHead: head });
          if (expected === 'tail') {
            expect(plain.ok).toBe(true);
            expect(againstHead).toMatchObject({ ok: false, brokenAt: n });
          } else {
            expect(plain).toMatchObject({ ok: false, brokenAt: expected, count: expected - 1 });
            expect(againstHead).toMatchObject({ ok: false, brokenAt: expected });
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reports entries that cannot be canonicalized instead of throwing', () => {
    const { entries } = exportedChain(3);
    const loneSurrogate = JSON.parse('"\\ud800"') as string;
    const result = verifyReceipts([entries[0], { ...entries[1], tool: loneSurrogate }, entries[2]]);
    expect(result).toEqual({
      ok: false,
      count: 1,
      brokenAt: 2,
      reason: 'entry 2 cannot be serialized as canonical JSON (corrupted?)',
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a number', 7],
    ['an array', []],
    ['an entry without seq', { ts: 'x' }],
    ['an entry with a string seq', { seq: '1' }],
  ])('reports %s as the first entry', (_label, entry) => {
    const result = verifyReceipts([entry]);
    expect(result).toMatchObject({ ok: false, count: 0, brokenAt: 1 });
  });

  it('reports an entry whose hash is missing', () => {
    const { entries } = exportedChain(2);
    const { hash: _dropped, ...withoutHash } = entries[1] as Entry;
    expect(verifyReceipts([entries[0], withoutHash])).toMatchObject({
      brokenAt: 2,
      reason: 'receipt 2: hash does not match its contents (edited?)',
    });
  });
});
