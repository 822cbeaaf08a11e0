import { describe, expect, it } from 'vitest';
import type { UpstreamServerConfig } from '../src/config.js';
import { matchesSnapshot, snapshotConfig } from '../src/config-snapshot.js';
import { entryFor, type PoolContext } from '../src/registry.js';

const stdio = (): UpstreamServerConfig => ({
  name: 'files',
  transport: 'stdio',
  command: ['node', 'server.js'],
  env: { API_KEY: 'secret-value' },
  cwd: '/srv/files',
});

function newContext(): PoolContext {
  return {
    options: {},
    clientInfo: { name: 'test', version: '0' },
    catalogTtlMs: 60_000,
    pinCheckMaxAgeMs: 2_000,
    backoff: { initialMs: 1, maxMs: 1 },
    log: () => {},
    entries: new Map(),
  };
}

describe('matchesSnapshot', () => {
  it('matches a fresh object with the same fields, ignoring fields validation does not read', () => {
    const seen = snapshotConfig(stdio());
    expect(matchesSnapshot(seen, stdio())).toBe(true);
    expect(matchesSnapshot(seen, { ...stdio(), comment: 'ignored' })).toBe(true);
  });

  it('sees every change validation would see, including in-place mutation of the original', () => {
    const original = stdio();
    const seen = snapshotConfig(original);
    (original.command as string[])[1] = 'other.js';
    expect(matchesSnapshot(seen, original)).toBe(false);
    const changes: Array<(c: UpstreamServerConfig) => void> = [
      (c) => {
        c.timeoutMs = 5000;
      },
      (c) => {
        (c.env as Record<string, string>).EXTRA = 'x';
      },
      (c) => {
        c.env = { OTHER_KEY: 'secret-value' };
      },
      (c) => {
        c.env = undefined;
      },
      (c) => {
        c.command = ['node'];
      },
      (c) => {
        c.cwd = '/srv/other';
      },
    ];
    for (const change of changes) {
      const config = stdio();
      change(config);
      expect(matchesSnapshot(seen, config)).toBe(false);
    }
  });

  it('never matches a non-object', () => {
    const seen = snapshotConfig(stdio());
    for (const value of [null, undefined, 'files', [stdio()]])
      expect(matchesSnapshot(seen, value)).toBe(false);
  });
});

describe('entryFor', () => {
  it('maps equal configs to one entry and a changed one to a new entry', () => {
    const ctx = newContext();
    const first = entryFor(ctx, stdio());
    expect(entryFor(ctx, stdio())).toBe(first);
    expect(entryFor(ctx, { ...stdio(), timeoutMs: 30_000 })).toBe(first); // the default, spelled out
    const changed = entryFor(ctx, { ...stdio(), env: { API_KEY: 'rotated-value' } });
    expect(changed).not.toBe(first);
    expect(first.retired).toBe(true);
    expect(ctx.entries.get('files')).toBe(changed);
  });

  it('validates what it remembers: a config mutated after use is validated again', () => {
    const ctx = newContext();
    const config = stdio();
    entryFor(ctx, config);
    (config.command as string[])[0] = '';
    expect(() => entryFor(ctx, config)).toThrow(/command\[0\]/);
  });

  it('still refuses bad configs with the validation message', () => {
    const ctx = newContext();
    expect(() => entryFor(ctx, null as unknown as UpstreamServerConfig)).toThrow(
      'The server config must be an object.',
    );
    expect(() => entryFor(ctx, { ...stdio(), env: [] as unknown as Record<string, string> })).toThrow(
      /env must be an object/,
    );
  });
});
