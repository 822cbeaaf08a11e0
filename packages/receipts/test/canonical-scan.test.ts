import { canonicalJson } from '@briefcase/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanCanonicalObject, TopLevelSpans } from '../src/canonical-scan.js';

/** The definition the scanner must never contradict when it says "canonical". */
function referenceIsCanonicalObject(text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    return (
      typeof parsed === 'object' &&
      parsed !== null &&
      !Array.isArray(parsed) &&
      canonicalJson(parsed) === text
    );
  } catch {
    return false;
  }
}

const spans = new TopLevelSpans();
const scan = (text: string) => scanCanonicalObject(text, spans);

/** Checks soundness, and that the recorded spans are the canonical tokens of those members. */
function assertSoundScan(text: string): void {
  if (!scan(text)) return;
  expect(referenceIsCanonicalObject(text), text).toBe(true);
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const token = (start: number, end: number) => (start === -1 ? undefined : text.slice(start, end));
  const expectedToken = (key: string) =>
    Object.hasOwn(parsed, key) ? canonicalJson(parsed[key]) : undefined;
  expect(token(spans.vStart, spans.vEnd)).toBe(expectedToken('v'));
  expect(token(spans.seqStart, spans.seqEnd)).toBe(expectedToken('seq'));
  expect(token(spans.tsStart, spans.tsEnd)).toBe(expectedToken('ts'));
  expect(token(spans.kindStart, spans.kindEnd)).toBe(expectedToken('kind'));
  expect(token(spans.prevHashStart, spans.prevHashEnd)).toBe(expectedToken('prevHash'));
  expect(spans.hasHash).toBe(Object.hasOwn(parsed, 'hash'));
}

/** The scanner only takes escape-free keys (others go to the reference check). */
function anyKeyNeedsEscape(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(anyKeyNeedsEscape);
  return Object.entries(value).some(
    ([key, child]) => JSON.stringify(key) !== `"${key}"` || anyKeyNeedsEscape(child),
  );
}

const HEADER_KEYS = ['v', 'seq', 'ts', 'kind', 'prevHash', 'hash'];
const keyArbitrary = fc.oneof(
  fc.constantFrom(...HEADER_KEYS, '10', '9', '__proto__', 'é', '😀', 'ﬁ', 'a"b', 'a\\b', '\u0001'),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const objectArbitrary = fc.dictionary(keyArbitrary, fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }), {
  maxKeys: 8,
});

/** Characters that matter to JSON syntax and canonical spelling. */
const MUTATION_CHARS = [
  ' ',
  '\n',
  '"',
  '\\',
  ',',
  ':',
  '{',
  '}',
  '[',
  ']',
  '0',
  '1',
  '-',
  '+',
  '.',
  'e',
  'E',
  'u',
  'n',
  '\u0000',
  '\u001f',
  '\u007f',
  '\ud800',
  '\udc00',
  'é',
];

describe('scanCanonicalObject', () => {
  it('accepts the canonical form of objects whose keys need no escape', () => {
    fc.assert(
      fc.property(objectArbitrary, (value) => {
        let text: string;
        try {
          text = canonicalJson(value);
        } catch {
          return; // lone surrogates: no canonical form
        }
        if (!anyKeyNeedsEscape(value)) expect(scan(text), text).toBe(true);
        assertSoundScan(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('never accepts a non-canonical text (mutations of canonical texts)', () => {
    fc.assert(
      fc.property(
        objectArbitrary,
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom('insert', 'delete', 'replace'),
            fc.constantFrom(...MUTATION_CHARS),
          ),
          { minLength: 1, maxLength: 3 },
        ),
        (value, mutations) => {
          let text: string;
          try {
            text = canonicalJson(value);
          } catch {
            return;
          }
          for (const [position, operation, char] of mutations) {
            const at = position % (text.length + 1);
            if (operation === 'insert') text = text.slice(0, at) + char + text.slice(at);
            else if (operation === 'delete') text = text.slice(0, at) + text.slice(at + 1);
            else text = text.slice(0, at) + char + text.slice(at + 1);
          }
          assertSoundScan(text);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('never accepts a non-canonical text (other serializations)', () => {
    fc.assert(
      fc.property(objectArbitrary, fc.constantFrom(0, 1, 2), (value, indent) => {
        assertSoundScan(JSON.stringify(value, null, indent));
        assertSoundScan(JSON.stringify(Object.fromEntries(Object.entries(value).reverse())));
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts random JSON-ish text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...MUTATION_CHARS, 'a', 'v', '"v"', '"a":'), maxLength: 40 }),
        (tail) => {
          assertSoundScan(`{${tail}`);
        },
      ),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['{}', true],
    ['{"a":1}', true],
    ['{"a":-0}', false],
    ['{"a":0}', true],
    ['{"a":1.0}', false],
    ['{"a":1e21}', false],
    ['{"a":1e+21}', true],
    ['{"a":1E+21}', false],
    ['{"a":0.000001}', true],
    ['{"a":1e-7}', true],
    ['{"a":1e-07}', false],
    ['{"a":01}', false],
    ['{"a":123456789012345678}', false],
    ['{"a":123456789012345680}', true],
    ['{"a":1e400}', false],
    ['{"a":"\\u001f"}', true],
    ['{"a":"\\u001F"}', false],
    ['{"a":"\\u0008"}', false],
    ['{"a":"\\b"}', true],
    ['{"a":"\\/"}', false],
    ['{"a":"\\u0041"}', false],
    ['{"a":"\\ud83d\\ude00"}', false],
    ['{"a":"😀"}', true],
    ['{"a":"\u0001"}', false],
    ['{"a":"\ud800"}', false],
    ['{"a":"\u007f"}', true],
    ['{"a":1,"a":1}', false],
    ['{"b":1,"a":1}', false],
    ['{"10":1,"9":1}', true],
    ['{"9":1,"10":1}', false],
    ['{"😀":1,"ﬁ":1}', true],
    ['{"ﬁ":1,"😀":1}', false],
    ['{"a": 1}', false],
    ['{"a":1} ', false],
    ['{"a":1}x', false],
    ['[1]', false],
    ['{"a":tru}', false],
    ['{"a":[1,]}', false],
    ['{"a":[,1]}', false],
    ['{"a"', false],
    ['{"a":"x', false],
    ['', false],
  ])('%s -> %s', (text, expected) => {
    expect(scan(text)).toBe(expected);
    if (expected) expect(referenceIsCanonicalObject(text)).toBe(true);
  });

  it('leaves deeply nested documents to the reference check', () => {
    const deep = `{"a":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(referenceIsCanonicalObject(deep)).toBe(true);
    expect(scan(deep)).toBe(false);
  });
});
