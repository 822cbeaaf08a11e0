import { BriefcaseError } from '@briefcase/core';
import { createLineSplitter } from './lines.js';

/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** `data:` lines joined with LF. */
  data: string;
  /** The last event id seen so far, if any. */
  id?: string;
}

/** Limits for {@link createSseParser}. */
export interface SseParserOptions {
  /** Longest accepted line in bytes (default 1 MiB). */
  maxLineBytes?: number;
  /** Largest accepted `data` of one event, in UTF-16 code units (default 4 Mi). */
  maxEventChars?: number;
}

/** Incremental text/event-stream parser. */
export interface SseParser {
  /** Returns the events completed by `chunk`. */
  push(chunk: Uint8Array): SseEvent[];
  /** Ends the stream; an event without its terminating blank line is discarded, as the spec says. */
  end(): SseEvent[];
}

/**
 * text/event-stream parser following WHATWG HTML §9.2.6 ("Interpreting an event stream"):
 * lines end in CRLF, LF or CR; `:` starts a comment; one space after the colon is dropped;
 * multiple `data:` lines join with LF; a blank line dispatches; an empty data buffer dispatches
 * nothing; unknown fields are ignored.
 */
export function createSseParser(options: SseParserOptions = {}): SseParser {
  const maxEventChars = options.maxEventChars ?? 4 * 1024 * 1024;
  const splitter = createLineSplitter({ maxLineBytes: options.maxLineBytes ?? 1024 * 1024, breaks: 'any' });
  let firstLine = true;
  let eventType = '';
  let data = '';
  let hasData = false;
  let lastEventId: string | undefined;

  const processLine = (rawLine: string, out: SseEvent[]): void => {
    let line = rawLine;
    // §9.2.6: one leading U+FEFF BYTE ORDER MARK is stripped from the stream.
    if (firstLine) {
      firstLine = false;
      if (line.startsWith('\uFEFF')) line = line.slice(1);
    }
    if (line === '') {
      if (hasData) {
        const event: SseEvent = { event: eventType === '' ? 'message' : eventType, data };
        if (lastEventId !== undefined) event.id = lastEventId;
        out.push(event);
      }
      eventType = '';
      data = '';
      hasData = false;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        eventType = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        if (data.length > maxEventChars) {
          data = '';
          hasData = false;
          throw new BriefcaseError(
            'internal_error',
            `briefcased sent an event larger than ${maxEventChars} characters; refusing to buffer it`,
          );
        }
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      default:
        // `retry` and unknown fields: nothing to do for a client that does not reconnect itself.
        break;
    }
  };

  return {
    push(chunk) {
      const out: SseEvent[] = [];
      for (const line of splitter.push(chunk)) processLine(line, out);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      // A trailing line without terminator is processed, but only a blank line can dispatch.
      for (const line of splitter.end()) processLine(line, out);
      return out;
    },
  };
}
