import { Writable } from 'node:stream';
import {
  createLogger,
  REDACTED,
  REDACTED_LOG_PATHS,
  SECRET_LOG_KEYS,
  scrubSensitive,
} from '@briefcase/telemetry';
import { describe, expect, it } from 'vitest';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ name: 'test', level: 'debug', destination });
  const last = () => JSON.parse(lines.at(-1) ?? 'null');
  return { logger, lines, last };
}

const SECRET = 'tok_live_59b1f0e2c4a8';

describe('createLogger redaction', () => {
  it('exports the redact paths as data: each key at depth 0, 1, 2, plus request headers', () => {
    for (const key of SECRET_LOG_KEYS) {
      expect(REDACTED_LOG_PATHS).toEqual(expect.arrayContaining([key, `*.${key}`, `*.*.${key}`]));
    }
    expect(REDACTED_LOG_PATHS).toContain('req.headers.authorization');
    expect(SECRET_LOG_KEYS).toHaveLength(20);
    expect(SECRET_LOG_KEYS).toEqual(expect.arrayContaining(['assertion', 'client_assertion', 'idToken']));
  });

  it.each(SECRET_LOG_KEYS)('redacts %s at the top level, one and two levels deep', (key) => {
    const { logger, lines, last } = capture();
    logger.info(
      { [key]: SECRET, outer: { [key]: SECRET, inner: { [key]: SECRET, kept: 'visible' } } },
      'event',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain(SECRET);
    expect(last()).toMatchObject({
      [key]: REDACTED,
      outer: { [key]: REDACTED, inner: { [key]: REDACTED, kept: 'visible' } },
      msg: 'event',
    });
  });

  it('redacts request headers and keeps the rest of the request', () => {
    const { logger, lines, last } = capture();
    logger.info({
      req: {
        method: 'POST',
        url: '/v1/call',
        headers: { authorization: `Bearer ${SECRET}`, host: 'localhost' },
      },
    });
    expect(lines[0]).not.toContain(SECRET);
    expect(last().req).toEqual({
      method: 'POST',
      url: '/v1/call',
      headers: { authorization: REDACTED, host: 'localhost' },
    });
  });

  it('redacts in child logger bindings and does not mutate the logged object', () => {
    const { logger, lines } = capture();
    const payload = { user: { password: SECRET } };
    logger.child({ token: SECRET }).warn(payload);
    expect(lines[0]).not.toContain(SECRET);
    expect(payload.user.password).toBe(SECRET);
  });

  it('prints a Sensitive-like value (toJSON -> [REDACTED]) as [REDACTED] at any depth and in messages', () => {
    const secret = {
      toJSON: () => REDACTED,
      toString: () => REDACTED,
      // A careless owner might keep the raw value enumerable: toJSON still wins.
      raw: SECRET,
    };
    const { logger, lines, last } = capture();
    logger.info({ a: { b: { c: { d: { e: secret } } } }, list: [secret] }, 'value %s %j', secret, secret);
    expect(lines[0]).not.toContain(SECRET);
    expect(last()).toMatchObject({ a: { b: { c: { d: { e: REDACTED } } } }, list: [REDACTED] });
    expect(last().msg).toBe(`value ${REDACTED} "${REDACTED}"`);
  });

  it('replaces a branded Sensitive even when its toJSON is missing (formatters.log path)', () => {
    const branded = { [Symbol.for('briefcase.sensitive')]: true, value: SECRET };
    const { logger, lines, last } = capture();
    logger.info({ credential: branded, nested: { list: [1, branded] } });
    expect(lines[0]).not.toContain(SECRET);
    expect(last()).toMatchObject({ credential: REDACTED, nested: { list: [1, REDACTED] } });
  });

  it('scrubSensitive copies only what it changes', () => {
    const untouched = { a: { b: [1, 2] } };
    expect(scrubSensitive(untouched)).toBe(untouched);
    const branded = { [Symbol.for('briefcase.sensitive')]: true };
    const input = { keep: { x: 1 }, change: { s: branded } };
    const output = scrubSensitive(input) as typeof input;
    expect(output).toEqual({ keep: { x: 1 }, change: { s: REDACTED } });
    expect(output.keep).toBe(input.keep);
    expect(input.change.s).toBe(branded);
  });

  it('honours the level', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = createLogger({ name: 'quiet', level: 'warn', destination });
    logger.info('dropped');
    logger.warn('kept');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ name: 'quiet', msg: 'kept', level: 40 });
  });
});
