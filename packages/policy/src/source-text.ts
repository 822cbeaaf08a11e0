/**
 * Cedar reports source locations as UTF-8 byte offsets; people read lines and columns.
 * These helpers translate between the two over one policy text.
 */

/** A policy text with its UTF-8 encoding, for offset conversions. */
export interface SourceText {
  readonly text: string;
  readonly bytes: Buffer;
}

/** Wraps `text` for offset conversions. */
export function sourceText(text: string): SourceText {
  return { text, bytes: Buffer.from(text, 'utf8') };
}

/** UTF-8 byte offset of the UTF-16 index `charIndex` in `source.text`. */
export function byteOffsetOf(source: SourceText, charIndex: number): number {
  return Buffer.byteLength(source.text.slice(0, charIndex), 'utf8');
}

/** 1-based line and column (in code points) of a UTF-8 byte offset, clamped to the text. */
export function lineColumnAt(source: SourceText, byteOffset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(byteOffset, source.bytes.length));
  const before = source.bytes.subarray(0, clamped).toString('utf8');
  const lastNewline = before.lastIndexOf('\n');
  const line = before.split('\n').length;
  const column = [...before.slice(lastNewline + 1)].length + 1;
  return { line, column };
}

/** The source between two byte offsets, on one line and shortened to `max` characters. */
export function excerpt(source: SourceText, startByte: number, endByte: number, max = 60): string {
  const start = Math.max(0, Math.min(startByte, source.bytes.length));
  const end = Math.max(start, Math.min(endByte, source.bytes.length));
  const text = source.bytes.subarray(start, end).toString('utf8').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
