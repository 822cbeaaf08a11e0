import { readFileSync } from 'node:fs';
import type { DecisionKind } from '@briefcase/core';
import { compilePolicy, type RelayPolicyRequest } from '@briefcase/policy';
import { describe, expect, it } from 'vitest';
import { mustCompile, request, withDefault } from './helpers.js';

/** Every ```cedar block preceded by `<!-- example: <id> -->` in the README. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const examples = new Map<string, string>();
  for (const match of readme.matchAll(/<!-- example: ([\w-]+) -->\n```cedar\n([\s\S]*?)```/g)) {
    examples.set(match[1] as string, match[2] as string);
  }
  return examples;
}

type Relay = Omit<RelayPolicyRequest, 'agent' | 'paramsBytes'>;
/** A tool call (`request`) or a relayed MCP request (`relay`), and the decision it must get. */
type Scenario = (
  | { request: Parameters<typeof request>[0]; relay?: never }
  | { relay: Relay; request?: never }
) & { kind: DecisionKind; reasonId?: string };
interface Example {
  /** Compiled on its own instead of appended to DEFAULT_POLICY. */
  standalone?: boolean;
  scenarios: Scenario[];
}

const EXAMPLES: Record<string, Example> = {
  'no-shell': {
    scenarios: [
      { request: { tool: { category: 'shell' } }, kind: 'deny', reasonId: 'no-shell' },
      { request: { tool: { category: 'notes' } }, kind: 'allow' },
    ],
  },
  'default-policy-summary': {
    standalone: true,
    scenarios: [
      { request: {}, kind: 'allow' },
      { request: { tool: { effect: 'write' } }, kind: 'approval_required' },
      { request: { tool: { effect: 'exec' } }, kind: 'deny', reasonId: 'default-forbid-unknown-effect' },
      { request: { context: { budget: { wouldExceed: true } } }, kind: 'approval_required' },
      {
        relay: { server: 'x', method: 'sampling/createMessage', target: '' },
        kind: 'allow',
        reasonId: 'default-permit-relay',
      },
    ],
  },
  'payments-over-1-usd': {
    scenarios: [
      {
        request: { tool: { category: 'payments' }, context: { costMicroUsd: 2_000_000 } },
        kind: 'approval_required',
        reasonId: 'payments-over-1-usd-need-approval',
      },
      { request: { tool: { category: 'payments' }, context: { costMicroUsd: 1_000_000 } }, kind: 'allow' },
      { request: { tool: { category: 'payments' }, context: { costMicroUsd: 500_000 } }, kind: 'allow' },
      { request: { tool: { category: 'notes' }, context: { costMicroUsd: 2_000_000 } }, kind: 'allow' },
    ],
  },
  'forbid-server': {
    scenarios: [
      {
        request: { tool: { source: 'mcp', server: 'sketchy-mcp' } },
        kind: 'deny',
        reasonId: 'block-sketchy-server',
      },
      { request: { tool: { source: 'mcp', server: 'sketchy-mcp-2' } }, kind: 'allow' },
      { request: { tool: { source: 'builtin' } }, kind: 'allow' },
      {
        relay: { server: 'sketchy-mcp', method: 'resources/read', target: 'file:///x' },
        kind: 'deny',
        reasonId: 'block-sketchy-server',
      },
      { relay: { server: 'other', method: 'resources/read', target: 'file:///x' }, kind: 'allow' },
    ],
  },
  'no-sampling': {
    scenarios: [
      {
        relay: { server: 'scraper', method: 'sampling/createMessage', target: '' },
        kind: 'deny',
        reasonId: 'no-sampling-from-scraper',
      },
      { relay: { server: 'scraper', method: 'elicitation/create', target: '' }, kind: 'deny' },
      { relay: { server: 'scraper', method: 'resources/read', target: 'web://a' }, kind: 'allow' },
      { relay: { server: 'other', method: 'sampling/createMessage', target: '' }, kind: 'allow' },
      { request: { tool: { source: 'mcp', server: 'scraper', effect: 'read' } }, kind: 'allow' },
    ],
  },
  'no-ssh-resources': {
    scenarios: [
      {
        relay: { server: 'fs', method: 'resources/read', target: 'file:///home/ada/.ssh/id_ed25519' },
        kind: 'deny',
        reasonId: 'no-ssh-dir',
      },
      {
        relay: { server: 'fs', method: 'resources/read', target: 'file:///home/ada/notes.md' },
        kind: 'allow',
      },
    ],
  },
  'risk-over-n': {
    scenarios: [
      {
        request: { context: { riskScore: 26 } },
        kind: 'approval_required',
        reasonId: 'risk-over-25-needs-approval',
      },
      { request: { context: { riskScore: 25 } }, kind: 'allow' },
    ],
  },
  'first-use': {
    scenarios: [
      {
        request: { context: { firstUse: true } },
        kind: 'approval_required',
        reasonId: 'first-use-needs-approval',
      },
      { request: { context: { riskSignals: ['first_use'] } }, kind: 'approval_required' },
      { request: { context: { firstUse: false } }, kind: 'allow' },
    ],
  },
  'trusted-write': {
    scenarios: [
      {
        request: { tool: { name: 'notes.append', effect: 'write' } },
        kind: 'allow',
        reasonId: 'notes-append-unattended',
      },
      { request: { tool: { name: 'notes.delete', effect: 'write' } }, kind: 'approval_required' },
      {
        request: {
          tool: { name: 'notes.append', effect: 'write' },
          context: { budget: { wouldExceed: true } },
        },
        kind: 'approval_required',
      },
      {
        request: { tool: { name: 'notes.append', effect: 'write' }, context: { costMicroUsd: 1 } },
        kind: 'approval_required',
      },
    ],
  },
  'builtin-writes-only': {
    scenarios: [
      {
        request: { tool: { effect: 'write', source: 'mcp', server: 'x' } },
        kind: 'deny',
        reasonId: 'remote-writes-forbidden',
      },
      { request: { tool: { effect: 'write', source: 'builtin' } }, kind: 'approval_required' },
      { request: { tool: { effect: 'read', source: 'mcp', server: 'x' } }, kind: 'allow' },
    ],
  },
  'low-daily-budget': {
    scenarios: [
      {
        request: { context: { costMicroUsd: 1, budget: { dailyRemainingMicroUsd: 4_999_999 } } },
        kind: 'approval_required',
        reasonId: 'low-daily-budget-needs-approval',
      },
      {
        request: { context: { costMicroUsd: 1, budget: { dailyRemainingMicroUsd: 5_000_000 } } },
        kind: 'allow',
      },
      { request: { context: { costMicroUsd: 1, budget: { dailyRemainingMicroUsd: null } } }, kind: 'allow' },
      { request: { context: { costMicroUsd: 0, budget: { dailyRemainingMicroUsd: 0 } } }, kind: 'allow' },
    ],
  },
  'huge-args': {
    scenarios: [
      { request: { context: { argsBytes: 1_000_001 } }, kind: 'deny', reasonId: 'huge-args-forbidden' },
      { request: { context: { argsBytes: 1_000_000 } }, kind: 'allow' },
    ],
  },
};

const examples = readmeExamples();

describe('README examples', () => {
  it('are all covered by scenarios here, and every scenario set has its example', () => {
    expect([...examples.keys()].sort()).toEqual(Object.keys(EXAMPLES).sort());
  });

  for (const [id, example] of Object.entries(EXAMPLES)) {
    it(`${id}: parses, validates and decides as documented`, () => {
      const block = examples.get(id);
      expect(block, `README block ${id}`).toBeDefined();
      const text = example.standalone ? (block as string) : withDefault(block as string);
      const result = compilePolicy(text);
      expect(result.ok ? [] : result.errors).toEqual([]);
      const policy = mustCompile(text);
      for (const scenario of example.scenarios) {
        const decision = scenario.relay
          ? policy.evaluateRelay({ agent: 'default', paramsBytes: 10, ...scenario.relay })
          : policy.evaluate(request(scenario.request));
        expect(decision.kind, JSON.stringify(scenario.relay ?? scenario.request)).toBe(scenario.kind);
        if (scenario.reasonId) expect(decision.reasons.map((r) => r.id)).toContain(scenario.reasonId);
      }
    });
  }
});
