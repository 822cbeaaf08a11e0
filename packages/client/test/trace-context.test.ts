import { isValidTraceparent, isValidTracestate, traceContextFromMeta } from '@briefcase/client';
import { describe, expect, it } from 'vitest';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context checks', () => {
  it('accepts a version-00 traceparent and rejects everything else', () => {
    expect(isValidTraceparent(VALID)).toBe(true);
    for (const bad of [
      VALID.toUpperCase(),
      `${VALID} `,
      `${VALID}-extra`,
      VALID.replace(/^00/, '01'),
      VALID.replace('4bf92f3577b34da6a3ce929d0e0e4736', '0'.repeat(32)),
      VALID.replace('00f067aa0ba902b7', '0'.repeat(16)),
      `${VALID}\r\nx: y`,
      '',
      42,
      undefined,
    ]) {
      expect(isValidTraceparent(bad), String(bad)).toBe(false);
    }
  });

  it('accepts printable tracestate up to 512 characters', () => {
    expect(isValidTracestate('vendor=a,other=b')).toBe(true);
    expect(isValidTracestate('x'.repeat(512))).toBe(true);
    expect(isValidTracestate('x'.repeat(513))).toBe(false);
    expect(isValidTracestate('a=b\nc=d')).toBe(false);
    expect(isValidTracestate('')).toBe(false);
  });

  it('takes tracestate only together with a valid traceparent', () => {
    expect(traceContextFromMeta({ traceparent: VALID, tracestate: 'a=b' })).toEqual({
      traceparent: VALID,
      tracestate: 'a=b',
    });
    expect(traceContextFromMeta({ traceparent: VALID, tracestate: 'a=\u0000' })).toEqual({
      traceparent: VALID,
    });
    expect(traceContextFromMeta({ traceparent: 'nope', tracestate: 'a=b' })).toEqual({});
    expect(traceContextFromMeta(undefined)).toEqual({});
    expect(traceContextFromMeta('00-')).toEqual({});
  });
});
