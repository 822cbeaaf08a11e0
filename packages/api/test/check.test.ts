import {
  ApprovalChangeEvent,
  ApprovalSnapshotEvent,
  ChannelEvent,
  compileCheck,
  ROUTES,
  type TSchema,
  Type,
} from '@briefcase/api';
import { describe, expect, it } from 'vitest';

describe('the contract compiles', () => {
  it('every schema of every route and event, with only keywords the validator knows', () => {
    const schemas: TSchema[] = [ApprovalSnapshotEvent, ApprovalChangeEvent, ChannelEvent];
    for (const { schema } of ROUTES) {
      for (const part of [schema.params, schema.querystring, schema.body]) if (part) schemas.push(part);
      schemas.push(...Object.values(schema.response));
    }
    for (const schema of schemas) expect(() => compileCheck(schema)({})).not.toThrow();
  });

  it('refuses a keyword it does not know, instead of ignoring it', () => {
    expect(() => compileCheck(Type.Unsafe<string>({ type: 'string', multipleOf: 2 }))('x')).toThrow(
      /multipleOf/,
    );
  });
});

describe('a compiled check', () => {
  const check = compileCheck(
    Type.Object(
      {
        id: Type.String({ pattern: '^[a-z]+$', maxLength: 3 }),
        n: Type.Integer({ minimum: 0 }),
        at: Type.Optional(Type.String({ format: 'date-time' })),
        tags: Type.Optional(Type.Array(Type.String(), { maxItems: 2 })),
        maybe: Type.Unsafe<string | null>({ type: ['string', 'null'] }),
      },
      { additionalProperties: false },
    ),
  );

  it.each([
    [{ id: 'ab', n: 1, maybe: null }, true],
    [{ id: 'ab', n: 1, maybe: 'x', at: '2025-01-01T00:00:00Z', tags: ['a'] }, true],
    [{ id: 'ab', n: 1.5, maybe: null }, false],
    [{ id: 'ab', n: -1, maybe: null }, false],
    [{ id: 'AB', n: 1, maybe: null }, false],
    [{ id: 'abcd', n: 1, maybe: null }, false],
    [{ id: 'ab', n: 1 }, false],
    [{ id: 'ab', n: 1, maybe: 5 }, false],
    [{ id: 'ab', n: 1, maybe: null, extra: true }, false],
    [{ id: 'ab', n: 1, maybe: null, at: 'yesterday' }, false],
    [{ id: 'ab', n: 1, maybe: null, tags: ['a', 'b', 'c'] }, false],
    [[], false],
    [null, false],
  ])('%j → %s', (value, valid) => {
    expect(check(value)).toBe(valid);
  });

  it('says where a value first breaks the schema', () => {
    expect(check.firstError({ id: 'ab', n: 1, maybe: null, tags: ['a', 3] })).toBe(
      '/tags/1 Instance type "number" is invalid. Expected "string".',
    );
    expect(check.firstError({ n: 1, maybe: null })).toBe('/ Instance does not have required property "id".');
    expect(check.firstError({ id: 'ab', n: 1, maybe: null, extra: 1 })).toBe(
      '/extra is not an allowed member here',
    );
  });

  it('resolves references to the shared schemas', () => {
    const events = compileCheck(ApprovalSnapshotEvent);
    expect(events({ approvals: [] })).toBe(true);
    expect(events({ approvals: [{ id: 'a' }] })).toBe(false);
  });
});
