import { createLineSplitter } from '@briefcase/client';
import { describe, expect, it } from 'vitest';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Feeds `chunks` and collects every line, including the final flush. */
function split(chunks: Array<string | Uint8Array>, breaks: 'lf' | 'any', maxLineBytes = 1024): string[] {
  const splitter = createLineSplitter({ maxLineBytes, breaks });
  const lines: string[] = [];
  for (const chunk of chunks) lines.push(...splitter.push(typeof chunk === 'string' ? bytes(chunk) : chunk));
  lines.push(...splitter.end());
  return lines;
}

describe('NDJSON line splitting (breaks: lf)', () => {
  it('splits complete lines and flushes an unterminated last line', () => {
    expect(split(['{"a":1}\n{"b":2}\n{"c":3}'], 'lf')).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  it('gives the same lines whatever the chunk boundaries, including inside CRLF', () => {
    const text = '{"seq":1}\r\n{"seq":2}\n\n{"seq":3}\r\n';
    const whole = split([text], 'lf');
    expect(whole).toEqual(['{"seq":1}', '{"seq":2}', '', '{"seq":3}']);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(split([text.slice(0, cut), text.slice(cut)], 'lf')).toEqual(whole);
    }
    expect(split([...text], 'lf')).toEqual(whole);
  });

  it('keeps a multi-byte character intact when a chunk boundary falls inside it', () => {
    const encoded = bytes('{"t":"é€😀"}\n');
    for (let cut = 1; cut < encoded.length; cut++) {
      expect(split([encoded.subarray(0, cut), encoded.subarray(cut)], 'lf')).toEqual(['{"t":"é€😀"}']);
    }
  });

  it('does not treat a lone CR as a line break', () => {
    expect(split(['a\rb\n'], 'lf')).toEqual(['a\rb']);
  });

  it('rejects a line over the cap, even when it arrives in small chunks', () => {
    const splitter = createLineSplitter({ maxLineBytes: 8, breaks: 'lf' });
    expect(splitter.push(bytes('12345678\n'))).toEqual(['12345678']);
    splitter.push(bytes('12345'));
    expect(() => splitter.push(bytes('6789'))).toThrow(/longer than 8 bytes/);
    expect(() => split(['x'.repeat(100_000)], 'lf', 1024)).toThrow(
      expect.objectContaining({ code: 'internal_error' }),
    );
  });
});

describe('event-stream line splitting (breaks: any)', () => {
  it('accepts CRLF, LF and lone CR, with CRLF split across chunks counted once', () => {
    expect(split(['a\r\nb\nc\rd'], 'any')).toEqual(['a', 'b', 'c', 'd']);
    expect(split(['a\r', '\nb'], 'any')).toEqual(['a', 'b']);
    expect(split(['a\r', '\r\nb'], 'any')).toEqual(['a', '', 'b']);
    expect(split(['a\r', 'b'], 'any')).toEqual(['a', 'b']);
  });
});
