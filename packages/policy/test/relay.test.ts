import { DEFAULT_POLICY, POLICY_REASON_IDS, type RelayPolicyRequest } from '@briefcase/policy';
import { describe, expect, it } from 'vitest';
import { mustCompile, request } from './helpers.js';

const sampling = (server = 'everything'): RelayPolicyRequest => ({
  agent: 'default',
  server,
  method: 'sampling/createMessage',
  target: '',
  paramsBytes: 40,
});

describe('the relay action', () => {
  it('passes relayed requests under the default policy, citing its permit', () => {
    const decision = mustCompile(DEFAULT_POLICY).evaluateRelay(sampling());
    expect(decision).toEqual({
      kind: 'allow',
      reasons: [
        {
          stage: 'policy',
          id: 'default-permit-relay',
          message: 'MCP requests other than tool calls pass between the agent and remote servers',
        },
      ],
    });
  });

  it('forbids sampling from one server and nothing else', () => {
    const policy = mustCompile(`${DEFAULT_POLICY}
@id("no-sampling-from-untrusted")
forbid (principal, action == Briefcase::Action::"relay", resource)
when { resource has server && resource.server == "untrusted" && context.method == "sampling/createMessage" };
`);
    expect(policy.evaluateRelay(sampling('untrusted'))).toMatchObject({
      kind: 'deny',
      reasons: [{ id: 'no-sampling-from-untrusted' }],
    });
    expect(policy.evaluateRelay(sampling('everything')).kind).toBe('allow');
    expect(
      policy.evaluateRelay({ ...sampling('untrusted'), method: 'resources/read', target: 'file:///x' }).kind,
    ).toBe('allow');
  });

  it('denies when no policy permits relaying', () => {
    const policy = mustCompile('permit (principal, action == Briefcase::Action::"call", resource);');
    expect(policy.evaluateRelay(sampling())).toMatchObject({
      kind: 'deny',
      reasons: [{ id: POLICY_REASON_IDS.noRelayPermit }],
    });
  });

  it('lets a policy match on the resource URI', () => {
    const policy = mustCompile(`${DEFAULT_POLICY}
@id("no-secrets-dir")
forbid (principal, action == Briefcase::Action::"relay", resource)
when { context.method == "resources/read" && context.target like "file:///home/*/.ssh/*" };
`);
    const read = (target: string) =>
      policy.evaluateRelay({
        agent: 'default',
        server: 'fs',
        method: 'resources/read',
        target,
        paramsBytes: 9,
      }).kind;
    expect(read('file:///home/me/.ssh/id_ed25519')).toBe('deny');
    expect(read('file:///home/me/notes.txt')).toBe('allow');
  });

  it('fails closed on a request it cannot represent', () => {
    const policy = mustCompile(DEFAULT_POLICY);
    const bad = { ...sampling(), server: 42 } as unknown as RelayPolicyRequest;
    expect(policy.evaluateRelay(bad)).toMatchObject({
      kind: 'deny',
      reasons: [{ id: POLICY_REASON_IDS.invalidRequest }],
    });
  });

  it('applies an unscoped forbid written for tools to relayed requests of that server too', () => {
    const policy = mustCompile(`${DEFAULT_POLICY}
@id("not-that-server")
forbid (principal, action, resource) when { resource has server && resource.server == "evil" };
`);
    expect(policy.evaluateRelay(sampling('evil')).kind).toBe('deny');
    expect(policy.evaluateRelay({ ...sampling('evil'), method: 'roots/list' }).kind).toBe('deny');
    expect(policy.evaluateRelay(sampling('good')).kind).toBe('allow');
  });

  it('gives sampling and elicitation the write effect, everything else read', () => {
    const policy = mustCompile(`${DEFAULT_POLICY}
@id("reads-only")
forbid (principal, action == Briefcase::Action::"relay", resource) when { resource.effect == "write" };
`);
    expect(policy.evaluateRelay(sampling()).kind).toBe('deny');
    expect(policy.evaluateRelay({ ...sampling(), method: 'elicitation/create' }).kind).toBe('deny');
    expect(policy.evaluateRelay({ ...sampling(), method: 'prompts/get', target: 'p' }).kind).toBe('allow');
  });

  it('does not let relay permits allow tool calls', () => {
    const policy = mustCompile('permit (principal, action == Briefcase::Action::"relay", resource);');
    expect(policy.evaluateRelay(sampling()).kind).toBe('allow');
    expect(policy.evaluate(request()).kind).toBe('deny');
  });
});
