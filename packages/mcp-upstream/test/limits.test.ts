import { canonicalJson, jsonDepth, MAX_JSON_DEPTH } from '@briefcase/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  assertWithinLimits,
  describeViolation,
  findLimitViolation,
  type LimitViolation,
} from '../src/limits.js';

/** An object nested `depth` levels deep: `{a: {a: ... {}}}` (depth 1 is `{}`). */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 1; level < depth; level += 1) value = { a: value };
  return value;
}

/** A JSON string literal that serializes to exactly `bytes` bytes with JSON.stringify. */
function jsonStringOfBytes(bytes: number): string {
  return 'x'.repeat(bytes - 2); // the two quotes
}

describe('depth', () => {
  it(`accepts nesting exactly at the default limit (${MAX_JSON_DEPTH}) and refuses one level more`, () => {
    expect(findLimitViolation(nested(MAX_JSON_DEPTH))).toBeNull();
    expect(findLimitViolation(nested(MAX_JSON_DEPTH + 1))).toEqual({
      kind: 'too_deep',
      limit: MAX_JSON_DEPTH,
    });
  });

  it('counts arrays as levels, like objects', () => {
    let value: unknown = [];
    for (let level = 1; level < 4; level += 1) value = [value];
    expect(findLimitViolation(value, { maxDepth: 4 })).toBeNull();
    expect(findLimitViolation(value, { maxDepth: 3 })).toEqual({ kind: 'too_deep', limit: 3 });
    expect(findLimitViolation({ list: [1, { deep: [] }] }, { maxDepth: 3 })).toEqual({
      kind: 'too_deep',
      limit: 3,
    });
  });

  it('treats primitives as depth 0 and wide-but-shallow values as shallow', () => {
    for (const value of [null, 0, 'text', true, undefined]) {
      expect(findLimitViolation(value, { maxDepth: 0 })).toBeNull();
    }
    expect(findLimitViolation({}, { maxDepth: 0 })).toEqual({ kind: 'too_deep', limit: 0 });
    const wide = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, { v: i }]));
    expect(findLimitViolation(wide, { maxDepth: 2 })).toBeNull();
  });

  it('survives nesting far too deep for recursion', () => {
    expect(findLimitViolation(nested(200_000))).toEqual({ kind: 'too_deep', limit: MAX_JSON_DEPTH });
  });

  it('reports a cyclic value as too deep instead of looping forever', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findLimitViolation(cyclic)).toEqual({ kind: 'too_deep', limit: MAX_JSON_DEPTH });
  });

  it('checks depth before serializing, so a serializer never sees a hostile deep value', () => {
    const serialize = vi.fn(JSON.stringify);
    expect(findLimitViolation(nested(MAX_JSON_DEPTH + 1), { maxBytes: 10, serialize })).toMatchObject({
      kind: 'too_deep',
    });
    expect(serialize).not.toHaveBeenCalled();
  });

  it('agrees with jsonDepth of @briefcase/core on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, maxDepth) => {
        const violation = findLimitViolation(value, { maxDepth });
        expect(violation?.kind === 'too_deep').toBe(jsonDepth(value) > maxDepth);
      }),
    );
  });
});

describe('size', () => {
  it('accepts a value exactly at maxBytes and refuses one byte more', () => {
    expect(findLimitViolation(jsonStringOfBytes(1000), { maxBytes: 1000 })).toBeNull();
    expect(findLimitViolation(jsonStringOfBytes(1001), { maxBytes: 1000 })).toEqual({
      kind: 'too_large',
      limit: 1000,
    });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const euros = '€'.repeat(100); // 3 bytes each
    expect(findLimitViolation(euros, { maxBytes: 302 })).toBeNull();
    expect(findLimitViolation(euros, { maxBytes: 301 })).toEqual({ kind: 'too_large', limit: 301 });
    const emoji = '😀'.repeat(10); // 4 bytes, 2 UTF-16 code units each
    expect(findLimitViolation(emoji, { maxBytes: 42 })).toBeNull();
    expect(findLimitViolation(emoji, { maxBytes: 41 })).toMatchObject({ kind: 'too_large' });
  });

  it('measures with the given serializer (canonical JSON drops undefined members)', () => {
    const value = { b: 1, a: undefined };
    expect(canonicalJson(value)).toBe('{"b":1}');
    expect(findLimitViolation(value, { maxBytes: 7, serialize: canonicalJson })).toBeNull();
    expect(findLimitViolation(value, { maxBytes: 6, serialize: canonicalJson })).toMatchObject({
      kind: 'too_large',
    });
  });

  it('does not serialize at all without maxBytes or a serializer', () => {
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      expect(findLimitViolation({ big: 10n })).toBeNull();
      expect(stringify).not.toHaveBeenCalled();
    } finally {
      stringify.mockRestore();
    }
  });
});

describe('representability', () => {
  it('reports a value its serializer cannot represent', () => {
    expect(findLimitViolation({ big: 10n }, { serialize: JSON.stringify })).toEqual({ kind: 'not_json' });
    expect(findLimitViolation({ big: 10n }, { maxBytes: 100 })).toEqual({ kind: 'not_json' });
    expect(findLimitViolation(undefined, { maxBytes: 100 })).toEqual({ kind: 'not_json' });
    expect(findLimitViolation({ n: Number.NaN }, { serialize: canonicalJson })).toEqual({ kind: 'not_json' });
  });
});

describe('assertWithinLimits', () => {
  it('throws the caller’s error for the violation, and nothing for a value within limits', () => {
    const toError = vi.fn((violation: LimitViolation) => new RangeError(describeViolation(violation)));
    expect(() => assertWithinLimits({ ok: [1, 2] }, { maxDepth: 2, maxBytes: 100 }, toError)).not.toThrow();
    expect(toError).not.toHaveBeenCalled();
    expect(() => assertWithinLimits(nested(3), { maxDepth: 2 }, toError)).toThrow(
      new RangeError('nested deeper than 2 levels'),
    );
    expect(() => assertWithinLimits(jsonStringOfBytes(11), { maxBytes: 10 }, toError)).toThrow(
      new RangeError('larger than the 10-byte limit'),
    );
    expect(toError.mock.calls.map(([violation]) => violation)).toEqual([
      { kind: 'too_deep', limit: 2 },
      { kind: 'too_large', limit: 10 },
    ]);
  });

  it('phrases each violation for messages', () => {
    expect(describeViolation({ kind: 'too_deep', limit: 64 })).toBe('nested deeper than 64 levels');
    expect(describeViolation({ kind: 'too_large', limit: 4096 })).toBe('larger than the 4096-byte limit');
    expect(describeViolation({ kind: 'not_json' })).toBe('not representable as JSON');
  });
});
