import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../src/context.js';
import { formatFields, type ListView, reply, replyList, replyVerdict } from '../src/reply.js';

function fakeContext(json: boolean): { ctx: CommandContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (text: string) => void out.push(text),
    err: (text: string) => void err.push(text),
    outBulk: async (text: string) => void out.push(text),
    env: {},
    stderrIsTty: false,
  };
  const ctx: CommandContext = {
    io,
    json,
    dataDir: '/tmp/x',
    prefix: '',
    cli: 'briefcase',
    errorContext: { json, prefix: '', cli: 'briefcase' },
    client: () => {
      throw new Error('no client in this test');
    },
  };
  return { ctx, out, err };
}

const VIEW: ListView<{ name: string; n: number }> = {
  jsonKey: 'things',
  empty: 'no things',
  columns: [
    ['NAME', (t) => t.name],
    ['N', (t) => t.n],
  ],
};

describe('reply', () => {
  it('prints the JSON value under --json and skips the text', () => {
    const { ctx, out } = fakeContext(true);
    expect(reply(ctx, { a: 1 }, () => ctx.io.out('text\n'))).toBe(0);
    expect(out).toEqual(['{"a":1}\n']);
  });

  it('prints only the text otherwise', () => {
    const { ctx, out } = fakeContext(false);
    expect(reply(ctx, { a: 1 }, () => ctx.io.out('text\n'))).toBe(0);
    expect(out).toEqual(['text\n']);
  });
});

describe('replyList', () => {
  it('wraps the items in their JSON key', () => {
    const { ctx, out } = fakeContext(true);
    replyList(ctx, [{ name: 'a', n: 1 }], VIEW);
    expect(out).toEqual(['{"things":[{"name":"a","n":1}]}\n']);
  });

  it('prints the empty line for no items, else a table of the columns', () => {
    const empty = fakeContext(false);
    replyList(empty.ctx, [], VIEW);
    expect(empty.out).toEqual(['no things\n']);
    const full = fakeContext(false);
    replyList(full.ctx, [{ name: 'long name', n: 2 }], VIEW);
    expect(full.out).toEqual(['NAME       N\nlong name  2\n']);
  });
});

describe('replyVerdict', () => {
  type Check = { ok: true; count: number } | { ok: false; why: string };
  const human = (ctx: CommandContext) => ({
    passed: (r: { count: number }) => ctx.io.out(`ok ${r.count}\n`),
    failed: (r: { why: string }) => ctx.io.out(`bad ${r.why}\n`),
  });

  it('exits with the failure code, with or without --json', () => {
    const failed: Check = { ok: false, why: 'x' };
    const text = fakeContext(false);
    expect(replyVerdict(text.ctx, failed, 15, human(text.ctx))).toBe(15);
    expect(text.out).toEqual(['bad x\n']);
    const json = fakeContext(true);
    expect(replyVerdict(json.ctx, failed, 15, human(json.ctx))).toBe(15);
    expect(json.out).toEqual(['{"ok":false,"why":"x"}\n']);
  });

  it('exits 0 when the check passed', () => {
    const passed: Check = { ok: true, count: 3 };
    const text = fakeContext(false);
    expect(replyVerdict(text.ctx, passed, 15, human(text.ctx))).toBe(0);
    expect(text.out).toEqual(['ok 3\n']);
  });
});

describe('formatFields', () => {
  it('aligns label/value rows without a header line', () => {
    expect(
      formatFields([
        ['a', 'one'],
        ['longer', 'two'],
      ]),
    ).toBe('a       one\nlonger  two\n');
  });
});
