import { createSseParser, type SseEvent } from '@briefcase/client';
import { describe, expect, it } from 'vitest';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function parse(chunks: string[], options = {}): SseEvent[] {
  const parser = createSseParser(options);
  const events: SseEvent[] = [];
  for (const chunk of chunks) events.push(...parser.push(bytes(chunk)));
  events.push(...parser.end());
  return events;
}

const STREAM =
  ': ping\n\n' +
  'event: snapshot\ndata: {"approvals":[]}\n\n' +
  ':comment between events\n' +
  'event: approval\ndata: {"type":"created",\ndata: "approval":{"id":"a1"}}\n\n' +
  'data:no-space\n\n';

const EXPECTED: SseEvent[] = [
  { event: 'snapshot', data: '{"approvals":[]}' },
  { event: 'approval', data: '{"type":"created",\n"approval":{"id":"a1"}}' },
  { event: 'message', data: 'no-space' },
];

describe('createSseParser', () => {
  it('parses events, skips comments, joins multi-line data with LF', () => {
    expect(parse([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events for every split point and byte-by-byte delivery', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      expect(parse([STREAM.slice(0, cut), STREAM.slice(cut)])).toEqual(EXPECTED);
    }
    expect(parse([...STREAM])).toEqual(EXPECTED);
  });

  it('accepts CRLF and CR line endings', () => {
    expect(parse([STREAM.replaceAll('\n', '\r\n')])).toEqual(EXPECTED);
    expect(parse([STREAM.replaceAll('\n', '\r')])).toEqual(EXPECTED);
    const crlf = STREAM.replaceAll('\n', '\r\n');
    for (let cut = 0; cut <= crlf.length; cut++) {
      expect(parse([crlf.slice(0, cut), crlf.slice(cut)])).toEqual(EXPECTED);
    }
  });

  it('dispatches nothing for an event without data, and resets the event type after a blank line', () => {
    expect(parse(['event: snapshot\n\ndata: x\n\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('discards an event cut off by the end of the stream', () => {
    expect(parse(['data: complete\n\ndata: incomplete\n'])).toEqual([{ event: 'message', data: 'complete' }]);
  });

  it('strips a leading BOM once, removes only one space after the colon, tracks ids', () => {
    expect(parse(['\uFEFFid: 7\ndata:  two spaces\n\n'])).toEqual([
      { event: 'message', data: ' two spaces', id: '7' },
    ]);
  });

  it('ignores unknown fields and retry', () => {
    expect(parse(['retry: 10\nfoo: bar\ndata: ok\n\n'])).toEqual([{ event: 'message', data: 'ok' }]);
  });

  it('rejects a huge line and an event whose data lines add up past the cap', () => {
    expect(() => parse([`data: ${'x'.repeat(5000)}\n\n`], { maxLineBytes: 1024 })).toThrow(
      /longer than 1024 bytes/,
    );
    expect(() => parse([`${'data: xxxxxxxxxx\n'.repeat(20)}\n`], { maxEventChars: 100 })).toThrow(
      expect.objectContaining({ code: 'internal_error' }),
    );
  });
});
