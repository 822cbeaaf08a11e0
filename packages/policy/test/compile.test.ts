import { sha256Hex } from '@briefcase/core';
import { CEDAR_SCHEMA, compilePolicy, DEFAULT_POLICY, MAX_POLICY_TEXT_BYTES } from '@briefcase/policy';
import { checkParseSchema } from '@cedar-policy/cedar-wasm/nodejs';
import { describe, expect, it } from 'vitest';
import { mustCompile, request } from './helpers.js';

function problems(text: string) {
  const result = compilePolicy(text);
  if (result.ok) throw new Error('expected the policy to be rejected');
  return result.errors;
}

describe('CEDAR_SCHEMA', () => {
  it('is Cedar schema text that parses', () => {
    expect(checkParseSchema(CEDAR_SCHEMA)).toEqual({ type: 'success' });
    expect(CEDAR_SCHEMA).toContain('namespace Briefcase');
  });
});

describe('compilePolicy', () => {
  it('compiles the default policy with its annotated ids, text and hash', () => {
    const policy = mustCompile(DEFAULT_POLICY);
    expect(policy.policyIds).toEqual([
      'default-permit-read-write',
      'default-forbid-unknown-effect',
      'default-read-without-approval',
      'default-permit-relay',
    ]);
    expect(policy.text).toBe(DEFAULT_POLICY);
    expect(policy.hash).toBe(sha256Hex(DEFAULT_POLICY));
    expect(policy.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names unannotated policies policy<N> by source position, also past policy9', () => {
    // Cedar returns parts sorted as strings (policy0, policy1, policy10, ...): ids must still follow the text.
    const lines = Array.from(
      { length: 12 },
      (_, i) =>
        `forbid (principal, action == Briefcase::Action::"call", resource) when { context.args_bytes == ${i} };`,
    );
    lines.splice(3, 0, '@id("named") permit (principal, action, resource);');
    const policy = mustCompile(lines.join('\n'));
    expect(policy.policyIds).toEqual([
      'policy0',
      'policy1',
      'policy2',
      'named',
      ...Array.from({ length: 9 }, (_, i) => `policy${i + 4}`),
    ]);
    // policy11 is the text's 12th policy: args_bytes == 10 (one named policy sits before it).
    const decision = policy.evaluate(request({ context: { argsBytes: 10 } }));
    expect(decision).toEqual({
      kind: 'deny',
      reasons: [{ stage: 'policy', id: 'policy11', message: 'forbidden by policy "policy11"' }],
    });
  });

  it('reports a syntax error with Cedar message, line and column', () => {
    const errors = problems(
      '// first line\npermit (principal, action, resource)\nwhen { context.cost_micro_usd > };',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('unexpected token');
    expect(errors[0]?.message).toContain('line 3, column 33');
    expect(errors[0]?.location).toEqual({ line: 3, column: 33 });
  });

  it('counts columns in characters when the text has non-ASCII before the error', () => {
    // Cedar reports UTF-8 byte offsets; "é" and "🎉" take 2 and 4 bytes.
    const errors = problems('// é🎉\n@id("é") permit (principal, action, resource) when { 1 + };');
    expect(errors[0]?.location).toEqual({ line: 2, column: 58 });
  });

  it('rejects a policy that references an attribute missing from the schema', () => {
    const errors = problems(
      `${DEFAULT_POLICY}\n@id("typo")\nforbid (principal, action, resource) when { resource.catgory == "payments" };`,
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]?.policyId).toBe('typo');
    expect(errors[0]?.message).toContain('catgory');
    expect(errors[0]?.message).toContain('hint: did you mean `category`?');
    const lines = `${DEFAULT_POLICY}\n`.split('\n').length;
    expect(errors[0]?.location?.line).toBe(lines + 1);
  });

  it('rejects reading the optional server attribute without `has` (strict validation)', () => {
    const errors = problems(
      '@id("srv") forbid (principal, action, resource) when { resource.server == "x" };',
    );
    expect(errors[0]?.policyId).toBe('srv');
    expect(errors[0]?.message).toContain('optional attribute `server`');
    expect(errors[0]?.message).toContain('hint:');
  });

  it('rejects type errors and unknown actions', () => {
    expect(
      problems('permit (principal, action, resource) when { context.cost_micro_usd == "1" };'),
    ).not.toEqual([]);
    expect(
      problems('permit (principal, action == Briefcase::Action::"delete", resource);')[0]?.message,
    ).toMatch(/delete/);
  });

  it('rejects duplicate and empty ids', () => {
    const dup = problems(
      '@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);',
    );
    expect(dup[0]?.message).toContain('two policies are named "a"');
    expect(problems('@id("") permit (principal, action, resource);')[0]?.message).toContain('empty @id');
  });

  it('rejects templates', () => {
    expect(problems('permit (principal == ?principal, action, resource);')[0]?.message).toContain(
      'templates',
    );
  });

  it('treats an id such as __proto__ as a plain key', () => {
    const policy = mustCompile('@id("__proto__") permit (principal, action, resource);');
    expect(policy.policyIds).toEqual(['__proto__']);
    expect(policy.evaluate(request()).reasons.map((r) => r.id)).toEqual(['__proto__']);
  });

  it('rejects input that is not a string or is too large, without throwing', () => {
    expect(compilePolicy(42 as unknown as string).ok).toBe(false);
    const huge = `// ${'x'.repeat(MAX_POLICY_TEXT_BYTES)}\n`;
    const result = compilePolicy(huge);
    expect(result.ok).toBe(false);
  });

  it('accepts an empty policy set, which denies everything', () => {
    const policy = mustCompile('// nothing yet\n');
    expect(policy.policyIds).toEqual([]);
    expect(policy.evaluate(request())).toEqual({
      kind: 'deny',
      reasons: [{ stage: 'policy', id: 'policy:no-permit', message: 'no policy permits this call' }],
    });
  });

  it('keeps compiled policies independent of one another', () => {
    const allowAll = mustCompile('permit (principal, action, resource);');
    const denyAll = mustCompile('forbid (principal, action, resource);');
    expect(allowAll.evaluate(request()).kind).toBe('allow');
    expect(denyAll.evaluate(request()).kind).toBe('deny');
  });
});

describe('dispose', () => {
  it('makes the disposed policy deny and leaves others untouched, also when its slot is reused', () => {
    const first = mustCompile('permit (principal, action, resource);');
    const other = mustCompile('permit (principal, action, resource);');
    first.dispose();
    first.dispose(); // idempotent
    expect(first.evaluate(request())).toEqual({
      kind: 'deny',
      reasons: [expect.objectContaining({ id: 'policy:disposed' })],
    });
    expect(other.evaluate(request()).kind).toBe('allow');
    // The next compile may take over the freed cache slot; the disposed policy must still deny.
    const next = mustCompile('forbid (principal, action, resource);');
    expect(next.evaluate(request()).kind).toBe('deny');
    expect(first.evaluate(request()).reasons[0]?.id).toBe('policy:disposed');
  });
});
