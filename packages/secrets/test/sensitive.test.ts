import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import { isSensitive, REDACTED, Sensitive, sensitive } from '@briefcase/secrets';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

const SECRET = 'sk-live-4f9c2d1e-very-secret';

function containsSecret(text: string): boolean {
  return text.includes(SECRET) || text.includes(Buffer.from(SECRET).toString('base64'));
}

describe('Sensitive', () => {
  const secret = sensitive(SECRET);

  it('reveal() is the way out', () => {
    expect(secret.reveal()).toBe(SECRET);
    expect(new Sensitive({ token: SECRET }).reveal()).toEqual({ token: SECRET });
  });

  it('never prints the value through string paths', () => {
    const renderings = [
      JSON.stringify(secret),
      JSON.stringify({ nested: { deeper: [secret] } }),
      String(secret),
      `${secret}`,
      // biome-ignore lint/style/useTemplate: string concatenation is the path under test
      'prefix ' + secret,
      secret.toString(),
      inspect(secret),
      inspect({ a: { b: { c: secret } } }, { depth: 10, showHidden: true }),
      format('%s %o %O %j', secret, secret, { secret }, { secret }),
      format(secret),
    ];
    for (const text of renderings) {
      expect(containsSecret(text)).toBe(false);
      expect(text).toContain(REDACTED);
    }
    // Even with custom inspection off, the private field stays invisible.
    const raw = inspect(secret, { customInspect: false, showHidden: true, getters: true });
    expect(raw).toContain('Sensitive');
    expect(containsSecret(raw)).toBe(false);
  });

  it('has no enumerable or structured-clone path to the value', () => {
    expect(Object.keys(secret)).toEqual([]);
    expect(Object.entries(secret)).toEqual([]);
    expect(Object.getOwnPropertyNames(secret)).toEqual([]);
    expect({ ...secret }).toEqual({});
    expect(JSON.stringify(structuredClone({ secret }))).not.toContain(SECRET);
    expect(Object.isFrozen(secret)).toBe(true);
  });

  it('is recognised by brand, not by shape', () => {
    expect(isSensitive(secret)).toBe(true);
    expect(Sensitive.is(secret)).toBe(true);
    expect(isSensitive({ toJSON: () => REDACTED })).toBe(false);
    expect(isSensitive(null)).toBe(false);
    expect(isSensitive(SECRET)).toBe(false);
  });

  it('is redacted in a pino log line', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const logger = pino({ level: 'info' }, destination);
    logger.info({ secret, nested: { list: [secret] } }, 'with %s and %o', secret, secret);
    logger.info(`template ${secret}`);
    logger.error({ err: Object.assign(new Error('boom'), { credential: secret }) }, 'failed');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(containsSecret(line)).toBe(false);
      expect(line).toContain(REDACTED);
    }
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ secret: REDACTED, nested: { list: [REDACTED] } });
  });
});
