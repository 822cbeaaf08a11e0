import { canonicalHash, isBriefcaseError } from '@briefcase/core';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTokenAuthenticator, isLoopbackRequest } from '../src/auth.js';
import { createApprovalStore } from '../src/db/approvals.js';
import { MIGRATIONS } from '../src/db/migrations.js';
import { migrate } from '../src/db/open.js';
import { resolveApproval } from '../src/pipeline/approve.js';
import { redactResult, scrubString } from '../src/pipeline/redact.js';
import { compileArgsSchema, validateArgs } from '../src/pipeline/validate.js';

const schema = compileArgsSchema({
  type: 'object',
  properties: { text: { type: 'string', maxLength: 5 }, n: { type: 'integer' } },
  required: ['text'],
  additionalProperties: false,
});

function thrown(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (isBriefcaseError(error)) return error;
    throw error;
  }
  throw new Error('expected a BriefcaseError');
}

describe('validate stage', () => {
  it('accepts valid args and binds them by their RFC 8785 hash', () => {
    const a = validateArgs('t', schema, { n: 1, text: 'hi' });
    const b = validateArgs('t', schema, { text: 'hi', n: 1 });
    expect(a.argsHash).toBe(b.argsHash);
    expect(a.argsHash).toBe(canonicalHash({ text: 'hi', n: 1 }));
    expect(a.argsBytes).toBe('{"n":1,"text":"hi"}'.length);
  });

  it('reports violations as invalid_args with JSON pointers, without echoing values', () => {
    const error = thrown(() => validateArgs('t', schema, { text: 'far too long', n: 'x' }));
    expect(error.code).toBe('invalid_args');
    const paths = (error.details as { errors: { path: string }[] }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['/n', '/text']);
    expect(error.message).not.toContain('far too long');
  });

  it('rejects non-objects and excessive nesting before the schema runs', () => {
    expect(thrown(() => validateArgs('t', schema, [1])).code).toBe('invalid_args');
    expect(thrown(() => validateArgs('t', schema, null)).code).toBe('invalid_args');
    let deep: unknown = 'x';
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect(thrown(() => validateArgs('t', schema, { text: 'a', deep })).message).toMatch(/nested deeper/);
  });

  it('refuses schemas that strict mode rejects', () => {
    expect(() =>
      compileArgsSchema({ type: 'object', properties: { a: { type: 'string', formatt: 'x' } } }),
    ).toThrow();
  });
});

describe('redact stage', () => {
  it('keeps only allowlisted top-level fields and counts what it dropped', () => {
    const out = redactResult('t', { keep: 1, drop: 2, also: 3 }, ['keep'], 1000);
    expect(out.value).toEqual({ keep: 1 });
    expect(out.redactions).toBe(2);
  });

  it('scrubs credential-shaped strings and secret-named fields anywhere in the result', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    const out = redactResult(
      't',
      {
        list: [`auth: Bearer abcdefghijklmnop1234`, { password: 'hunter2', nested: jwt }],
        note: 'AKIAABCDEFGHIJKLMNOP',
      },
      ['*'],
      10_000,
    );
    const text = JSON.stringify(out.value);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('AKIAABCDEFGHIJKLMNOP');
    expect(text).not.toContain('abcdefghijklmnop1234');
    expect(out.redactions).toBe(4);
  });

  it('fails a result over the size cap with upstream_error', () => {
    expect(thrown(() => redactResult('t', { text: 'x'.repeat(100) }, ['*'], 50)).code).toBe('upstream_error');
  });

  it('never lets a planted secret survive scrubbing (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.stringMatching(/^[A-Za-z0-9]{36}$/), (before, after, body) => {
        const { text } = scrubString(`${before} ghp_${body} ${after}`);
        expect(text).not.toContain(`ghp_${body}`);
      }),
    );
  });
});

describe('approve stage', () => {
  function store() {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS);
    return createApprovalStore(db);
  }
  const reasons = [{ stage: 'policy', id: 'p', message: 'write' }];

  it('uses an approved request only for the same tool and args hash, once claimed never twice', () => {
    const s = store();
    const a = s.create(
      { tool: 'note_add', argsHash: 'h1', summary: 's', costMicroUsd: 0, reasons },
      1000,
      60_000,
    );
    expect(
      resolveApproval(s, { tool: 'note_add', argsHash: 'h1', approvalId: undefined }, 2000, new Set()).kind,
    ).toBe('pending');
    s.decide(a.id, 'approved', 'me', 2000);
    expect(
      resolveApproval(s, { tool: 'note_add', argsHash: 'h1', approvalId: undefined }, 3000, new Set()).kind,
    ).toBe('use');
    expect(
      resolveApproval(s, { tool: 'note_add', argsHash: 'h2', approvalId: undefined }, 3000, new Set()).kind,
    ).toBe('none');
    expect(
      resolveApproval(s, { tool: 'note_add', argsHash: 'h2', approvalId: a.id }, 3000, new Set()).kind,
    ).toBe('mismatch');
    expect(
      resolveApproval(s, { tool: 'other', argsHash: 'h1', approvalId: a.id }, 3000, new Set()).kind,
    ).toBe('mismatch');
    expect(
      resolveApproval(s, { tool: 'note_add', argsHash: 'h1', approvalId: undefined }, 3000, new Set([a.id]))
        .kind,
    ).toBe('none');
    expect(s.consume(a.id, 3000, 1)).toBe(true);
    expect(s.consume(a.id, 3000, 2)).toBe(false);
    expect(
      resolveApproval(s, { tool: 'note_add', argsHash: 'h1', approvalId: a.id }, 3000, new Set()).kind,
    ).toBe('none');
  });

  it('expires requests and refuses to decide or consume them afterwards', () => {
    const s = store();
    const a = s.create({ tool: 't', argsHash: 'h', summary: 's', costMicroUsd: 0, reasons }, 0, 1000);
    expect(s.decide(a.id, 'approved', 'me', 1000)).toBeUndefined();
    expect(s.expireDue(1000).map((x) => x.id)).toEqual([a.id]);
    expect(s.get(a.id)?.state).toBe('expired');
    expect(s.consume(a.id, 1000, 1)).toBe(false);
  });
});

describe('migrations', () => {
  it('bring an empty database to the newest version and are idempotent', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.at(-1)?.version);
    expect(migrate(db, MIGRATIONS)).toBe(MIGRATIONS.at(-1)?.version);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual(
      expect.arrayContaining(['approvals', 'budgets', 'notes', 'policy', 'receipts', 'spend', 'tool_stats']),
    );
  });

  it('refuse a database from a newer briefcased', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 999');
    expect(() => migrate(db, MIGRATIONS)).toThrow(/newer/);
  });
});

describe('auth', () => {
  const auth = createTokenAuthenticator({ admin: 'a'.repeat(43), agent: 'b'.repeat(43) });
  it('maps each token to its role and nothing else to any role', () => {
    expect(auth(`Bearer ${'a'.repeat(43)}`)).toBe('admin');
    expect(auth(`Bearer ${'b'.repeat(43)}`)).toBe('agent');
    for (const bad of [
      undefined,
      '',
      'Bearer',
      `bearer ${'a'.repeat(43)}`,
      `Bearer ${'a'.repeat(42)}`,
      `Basic ${'a'.repeat(43)}`,
    ]) {
      expect(auth(bad)).toBeUndefined();
    }
  });

  it('accepts only loopback Host and Origin on the right port', () => {
    expect(isLoopbackRequest('127.0.0.1:8080', undefined, 8080)).toBe(true);
    expect(isLoopbackRequest('localhost:8080', 'http://localhost:8080', 8080)).toBe(true);
    expect(isLoopbackRequest('[::1]:8080', undefined, 8080)).toBe(true);
    expect(isLoopbackRequest('evil.example:8080', undefined, 8080)).toBe(false);
    expect(isLoopbackRequest('127.0.0.1:8081', undefined, 8080)).toBe(false);
    expect(isLoopbackRequest('127.0.0.1:8080', 'http://evil.example', 8080)).toBe(false);
    expect(isLoopbackRequest('127.0.0.1:8080', 'null', 8080)).toBe(false);
    expect(isLoopbackRequest(undefined, undefined, 8080)).toBe(false);
  });
});
