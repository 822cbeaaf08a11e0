import { formatUsd, microUsdToDecimal, parseUsd } from '@briefcase/client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

describe('parseUsd', () => {
  it('converts decimal strings to exact integer micro-USD', () => {
    expect(parseUsd('1')).toBe(1_000_000);
    expect(parseUsd('0.5')).toBe(500_000);
    expect(parseUsd('0.000001')).toBe(1);
    expect(parseUsd('0.1')).toBe(100_000);
    expect(parseUsd('0.3')).toBe(300_000); // 0.1 + 0.2 style float error would show here
    expect(parseUsd('1234.567891')).toBe(1_234_567_891);
    expect(parseUsd(' 2.50 ')).toBe(2_500_000);
    expect(parseUsd('0')).toBe(0);
    expect(parseUsd('9007199254.740991')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['-1', /negative/],
    ['-0.5', /negative/],
    ['0.0000001', /more than 6 decimal places/],
    ['abc', /not a USD amount/],
    ['', /not a USD amount/],
    ['1e3', /not a USD amount/],
    ['.5', /not a USD amount/],
    ['5.', /not a USD amount/],
    ['+1', /not a USD amount/],
    ['0x10', /not a USD amount/],
    ['Infinity', /not a USD amount/],
    ['9007199254.740992', /too large/],
    ['9'.repeat(10_000), /too large/],
  ])('rejects %j', (text, message) => {
    expect(() => parseUsd(text)).toThrow(message);
  });
});

describe('formatting', () => {
  it('shows whole cents with 2 places and sub-cent amounts with 6', () => {
    expect(formatUsd(500_000)).toBe('$0.50');
    expect(formatUsd(2_000)).toBe('$0.002000');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(12_340_000)).toBe('$12.34');
    expect(formatUsd(1)).toBe('$0.000001');
    expect(microUsdToDecimal(500_000)).toBe('0.5');
    expect(microUsdToDecimal(3_000_000)).toBe('3');
    expect(microUsdToDecimal(1)).toBe('0.000001');
  });

  it('refuses non-integer amounts instead of printing a misleading number', () => {
    expect(() => formatUsd(0.5)).toThrow(RangeError);
    expect(() => microUsdToDecimal(Number.NaN)).toThrow(RangeError);
  });

  it('round-trips every integer micro-USD amount from 0 to 1e12 through both string forms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (micro) => {
        expect(parseUsd(microUsdToDecimal(micro))).toBe(micro);
        expect(parseUsd(formatUsd(micro).slice(1))).toBe(micro);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips every string with up to 6 decimals back to itself in canonical form', () => {
    fc.assert(
      fc.property(fc.nat({ max: 999_999 }), fc.nat({ max: 999_999 }), (whole, fraction) => {
        const text = `${whole}.${String(fraction).padStart(6, '0')}`;
        expect(formatUsd(parseUsd(text))).toMatch(/^\$\d+\.(\d{2}|\d{6})$/);
        expect(parseUsd(microUsdToDecimal(parseUsd(text)))).toBe(parseUsd(text));
      }),
    );
  });
});
