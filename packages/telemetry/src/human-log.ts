import type { DestinationStream } from 'pino';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** pino's own fields, shown in the line's head or not at all. */
const HEAD_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

// Control and bidi characters become visible escapes: a log line must not rewrite the terminal.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const safe = (text: string) =>
  text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * One JSON log line (as pino writes it, already redacted) as a line for a person:
 * `12:34:56 warn briefcased: message (key=value, …)`. A line that is not JSON passes through.
 */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '';
  const level = LEVELS[entry.level as number] ?? String(entry.level ?? '');
  const name = typeof entry.name === 'string' ? `${entry.name}: ` : '';
  const extra = Object.entries(entry)
    .filter(([key]) => !HEAD_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const tail = extra.length > 0 ? ` (${extra.join(', ')})` : '';
  return `${safe(`${time} ${level} ${name}${String(entry.msg ?? '')}${tail}`.trim())}\n`;
}

/**
 * A pino destination writing {@link formatLogLine} lines to `write`: human log lines for a
 * terminal (`npm start`), where JSON is for machines. Redaction has happened before pino writes.
 */
export function humanLogStream(write: (text: string) => void): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') write(formatLogLine(line));
    },
  };
}
