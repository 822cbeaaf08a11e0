import { describe, expect, it } from 'vitest';
import { quoteForMessage, safeMessage } from '../src/display.js';

describe('quoteForMessage', () => {
  it('quotes and escapes quotes, backslashes, control, zero-width and bidi characters', () => {
    expect(quoteForMessage('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(quoteForMessage('x\ny\u0000\u202e\u200b')).toBe('"x\\u000ay\\u0000\\u202e\\u200b"');
    expect(quoteForMessage('é🎉')).toBe('"é🎉"');
  });

  it('cuts long names to 80 characters without splitting a surrogate pair', () => {
    const quoted = quoteForMessage('🎉'.repeat(10_000));
    expect([...quoted]).toHaveLength(80 + 3);
    expect(quoted.endsWith('🎉…"')).toBe(true);
  });
});

describe('safeMessage', () => {
  it('turns newlines into spaces, escapes other control characters and cuts at 500 characters', () => {
    expect(safeMessage('a\nb\u0007\u2066')).toBe('a b\\u0007\\u2066');
    expect([...safeMessage('z'.repeat(10_000))]).toHaveLength(501);
  });
});
