import { BriefcaseError } from '@briefcase/core';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Which bytes end a line.
 * - `lf`: LF, with one trailing CR stripped (NDJSON, which permits CRLF).
 * - `any`: CRLF, LF or a lone CR (text/event-stream, WHATWG HTML §9.2.5).
 */
export type LineBreaks = 'lf' | 'any';

/** Options for {@link createLineSplitter}. */
export interface LineSplitterOptions {
  /** Longest accepted line in bytes, excluding its terminator. Longer lines throw. */
  maxLineBytes: number;
  breaks: LineBreaks;
}

/** Incremental byte-stream → line splitter; feed it chunks as they arrive. */
export interface LineSplitter {
  /** Returns the lines completed by `chunk` (terminators removed). */
  push(chunk: Uint8Array): string[];
  /** Flushes a final unterminated line, if any. */
  end(): string[];
}

/**
 * Splits on bytes rather than decoded text: CR and LF never occur inside a multi-byte UTF-8
 * sequence, so a chunk boundary in the middle of a character cannot corrupt it, and the
 * length cap counts real bytes. A line over the cap throws before it is buffered whole,
 * so a hostile peer cannot make us hold an unbounded line in memory.
 */
export function createLineSplitter(options: LineSplitterOptions): LineSplitter {
  const { maxLineBytes, breaks } = options;
  let parts: Buffer[] = [];
  let size = 0;
  let pending = false;
  // A CR ended the previous chunk: an LF at the start of the next one belongs to it.
  let skipLeadingLf = false;

  const append = (piece: Buffer): void => {
    if (piece.length === 0) return;
    if (size + piece.length > maxLineBytes) {
      parts = [];
      size = 0;
      throw new BriefcaseError(
        'internal_error',
        `briefcased sent a line longer than ${maxLineBytes} bytes; refusing to buffer it`,
      );
    }
    parts.push(piece);
    size += piece.length;
  };

  const take = (): string => {
    let line = Buffer.concat(parts, size);
    parts = [];
    size = 0;
    pending = false;
    if (breaks === 'lf' && line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1);
    return line.toString('utf8');
  };

  return {
    push(chunk) {
      const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const lines: string[] = [];
      let start = 0;
      if (skipLeadingLf && buf.length > 0) {
        if (buf[0] === LF) start = 1;
        skipLeadingLf = false;
      }
      for (let i = start; i < buf.length; i++) {
        const byte = buf[i];
        if (byte !== LF && (byte !== CR || breaks !== 'any')) continue;
        append(buf.subarray(start, i));
        lines.push(take());
        if (byte === CR) {
          if (i + 1 >= buf.length) skipLeadingLf = true;
          else if (buf[i + 1] === LF) i++;
        }
        start = i + 1;
      }
      if (start < buf.length) {
        append(buf.subarray(start));
        pending = true;
      }
      return lines;
    },
    end() {
      skipLeadingLf = false;
      return pending ? [take()] : [];
    },
  };
}
