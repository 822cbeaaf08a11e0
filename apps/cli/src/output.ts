import { formatUsd } from '@briefcase/client';

// C0 controls except TAB/LF, DEL, C1 controls (U+009B is a one-byte CSI on some terminals),
// and bidi overrides/isolates that can make text read differently from what it is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, plus TAB and line breaks for cells.
const UNSAFE_INLINE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Makes daemon-supplied text safe to print on a terminal: control and bidi characters become
 * visible `\uXXXX` escapes (which also keeps JSON text valid JSON). Summaries and tool results
 * can carry agent-chosen bytes, and an escape sequence must not be able to rewrite the screen.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Like {@link terminalSafe}, but also escapes line breaks and tabs so a value stays on one line. */
export function inlineSafe(text: string): string {
  return text.replace(UNSAFE_INLINE, escapeChar);
}

/** Shortens `text` to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, Math.max(0, max - 1))}…` : text;
}

/**
 * Left-aligned columns separated by two spaces; the last column is not padded.
 * Cells are made single-line and terminal-safe here, so callers can pass raw daemon strings.
 */
export function formatTable(headers: string[], rows: unknown[][]): string {
  const cells = [
    headers,
    ...rows.map((row) => row.map((cell) => inlineSafe(cell == null ? '' : String(cell)))),
  ];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** USD display for a daemon-supplied amount; tolerates a malformed value instead of crashing. */
export function usd(micro: unknown): string {
  if (micro === null) return 'none';
  return typeof micro === 'number' && Number.isSafeInteger(micro) ? formatUsd(micro) : 'invalid';
}

/** POSIX shell single-quoting, for commands we print for a person to paste. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** "1 receipt" / "2 receipts". */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
