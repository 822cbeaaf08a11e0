import { describe, expect, it } from 'vitest';
import { byteCapTransform, ResponseTooLargeError } from '../src/http-fetch.js';

async function pump(
  chunks: string[],
  limit: number,
  perEvent: boolean,
): Promise<{ out: string; exceeded: boolean; error?: unknown }> {
  let exceeded = false;
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
      controller.close();
    },
  });
  let out = '';
  try {
    const reader = source.pipeThrough(byteCapTransform(limit, perEvent, () => (exceeded = true))).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
    return { out, exceeded };
  } catch (error) {
    return { out, exceeded, error };
  }
}

describe('byteCapTransform', () => {
  it('caps the whole body of a JSON response', async () => {
    expect(await pump(['{"a":', '1}'], 7, false)).toEqual({ out: '{"a":1}', exceeded: false });
    const over = await pump(['{"a":', '12}'], 7, false);
    expect(over.exceeded).toBe(true);
    expect(over.error).toBeInstanceOf(ResponseTooLargeError);
  });

  it('caps each server-sent event separately, whatever the line endings and chunking', async () => {
    const event = (n: number) => `data: ${'x'.repeat(n)}\n\n`;
    // Many events, each under the cap, are fine even though the stream is much larger.
    const many = Array.from({ length: 50 }, () => event(80));
    expect((await pump(many, 100, true)).exceeded).toBe(false);
    // CRLF endings, blank line split across chunks.
    expect((await pump(['data: abc\r', '\n\r', '\ndata: def\r\n\r\n'], 12, true)).exceeded).toBe(false);
    // One event over the cap trips it.
    const big = await pump([event(40), 'data: ', 'y'.repeat(200)], 100, true);
    expect(big.exceeded).toBe(true);
    expect(big.error).toBeInstanceOf(ResponseTooLargeError);
    // A multi-line event counts all of its lines.
    expect((await pump(['data: aaaa\ndata: bbbb\ndata: cccc\n\n'], 25, true)).exceeded).toBe(true);
  });
});
