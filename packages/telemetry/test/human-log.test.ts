import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine, humanLogStream } from '../src/index.js';

describe('human log lines', () => {
  it('turns a pino JSON line into time, level, name, message and the other fields', () => {
    const time = new Date('2026-01-02T03:04:05').getTime();
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: 'h',
      name: 'briefcased',
      msg: 'hi',
      dataDir: '/d',
    });
    expect(formatLogLine(line)).toBe('03:04:05 warn briefcased: hi (dataDir=/d)\n');
    expect(formatLogLine('not json')).toBe('not json\n');
  });

  it('escapes control characters and keeps pino redaction', () => {
    const lines: string[] = [];
    const log = createLogger({ name: 'x', level: 'info', destination: humanLogStream((t) => lines.push(t)) });
    log.warn({ token: 'tok_secret', where: 'a\u001b[2Jb' }, 'careful\u202e');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ warn x: careful\\u202e \(token=\[REDACTED\], where=a\\u001b\[2Jb\)\n$/);
    expect(lines[0]).not.toContain('tok_secret');
  });
});
