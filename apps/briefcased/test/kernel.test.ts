import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BriefcaseError, isBriefcaseError, RECEIPT_KINDS, sha256Hex } from '@briefcase/core';
import { compilePolicy, DEFAULT_POLICY } from '@briefcase/policy';
import { openReceiptLog, type Receipt, type ReceiptLog } from '@briefcase/receipts';
import { createMemorySecretStore } from '@briefcase/secrets';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApprovalStore } from '../src/db/approvals.js';
import { createBudgetStore } from '../src/db/budgets.js';
import { type Db, openDatabase } from '../src/db/open.js';
import { createToolStatsStore } from '../src/db/stats.js';
import { createApprovalEvents } from '../src/events.js';
import type { Action, ActionPlan, Caller } from '../src/kernel/action.js';
import {
  createToolCalls,
  type ToolCallRequest,
  type ToolCalls,
  toolCallAction,
} from '../src/kernel/actions/tool-call.js';
import { adminInputHash } from '../src/kernel/admin.js';
import { createKernel, type Kernel, scopedSecrets } from '../src/kernel/enforce.js';
import { outboundFetch } from '../src/kernel/outbound.js';
import { createReceiptWriter } from '../src/kernel/receipt-writer.js';
import { DEFAULT_PIPELINE_SETTINGS } from '../src/pipeline/settings.js';
import { createToolRegistry } from '../src/tools/registry.js';
import type { ToolExecutor, ToolSpec } from '../src/tools/types.js';

const caller: Caller = { role: 'agent', agent: 'default' };

/** One test tool per effect and mode; `fail: true` in the args makes it fail while running. */
function testTool(name: string, effect: 'read' | 'write', mode: ToolExecutor['mode']): ToolSpec {
  const run = (args: Record<string, unknown>) => {
    if (args.fail) throw new BriefcaseError('upstream_error', `${name} failed upstream`);
    return { ok: true };
  };
  return {
    definition: {
      name,
      description: `test tool ${name}`,
      inputSchema: {
        type: 'object',
        properties: { n: { type: 'integer' }, fail: { type: 'boolean' } },
        additionalProperties: false,
      },
      category: 'test',
      effect,
      costMicroUsd: 0,
      outputAllowlist: ['ok'],
      source: { kind: 'provider', server: 'test' },
    },
    executor:
      mode === 'external'
        ? { mode, run: async (args) => run(args) }
        : mode === 'transactional'
          ? { mode, run: (args) => run(args) }
          : { mode, run: (args) => run(args) },
  };
}

let dir: string;
let db: Db;
let receipts: ReceiptLog;
let kernel: Kernel;
let actionFor: (tool: string, args: unknown) => Action;
let callWith: (request: ToolCallRequest) => Action;
let toolCalls: ToolCalls;
let approvals: ReturnType<typeof createApprovalStore>;
let events: ReturnType<typeof createApprovalEvents>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'briefcase-kernel-'));
  db = openDatabase(join(dir, 'k.db'));
  receipts = openReceiptLog(db);
  approvals = createApprovalStore(db);
  events = createApprovalEvents();
  const clock = () => new Date();
  const compiled = compilePolicy(
    `${DEFAULT_POLICY}\n@id("test-forbid")\n@reason("forbidden in this test")\nforbid (principal, action == Briefcase::Action::"call", resource) when { resource.name like "forbidden_*" };`,
  );
  if (!compiled.ok) throw new Error('test policy does not compile');
  const policy = compiled.policy;
  const registry = createToolRegistry([
    {
      id: 'test',
      tools: () =>
        (['pure', 'transactional', 'external'] as const).flatMap((mode) => [
          testTool(`read_${mode}`, 'read', mode),
          testTool(`write_${mode}`, 'write', mode),
          testTool(`forbidden_${mode}`, 'read', mode),
        ]),
    },
  ]);
  kernel = createKernel({
    writer: createReceiptWriter({ db, receipts, clock }),
    db,
    approvals,
    events,
    knownSecrets: () => [],
    secrets: createMemorySecretStore(),
    fetch: () => Promise.reject(new Error('no network in this test')),
    maxResultBytes: 64 * 1024,
    clock,
  });
  const deps = {
    registry,
    approvals,
    budgets: createBudgetStore(db),
    stats: createToolStatsStore(db),
    events,
    policy: () => policy,
    settings: DEFAULT_PIPELINE_SETTINGS,
  };
  actionFor = (tool, args) => toolCallAction(deps, { tool, args }, caller);
  callWith = (request) => toolCallAction(deps, request, caller);
  toolCalls = createToolCalls(kernel, deps);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A relayed request as the relay builds it: the `relay` decision and one request to a server. */
function relayAction(
  decision: 'allow' | 'deny' | 'approval_required' | 'throws',
  run: () => Promise<unknown>,
): Action {
  return {
    kind: 'mcp_relay',
    fields: {
      server: 'srv',
      method: 'resources/read',
      target: 'file:///x',
      direction: 'to_server',
      paramsHash: 'h',
    },
    prepare: (): ActionPlan => ({
      decide: () => {
        if (decision === 'throws') throw new Error('cedar fell over');
        return { kind: decision, reasons: [{ stage: 'policy', id: 'p', message: decision }] };
      },
      denialMessage: () => 'denied by the test policy',
      executor: { mode: 'pure', run },
      args: {},
      output: { label: 'srv resources/read', allowlist: ['*'] },
    }),
  };
}

/** Runs `attempt` and returns what it threw (or undefined) and the receipts it added. */
async function attempt(run: () => Promise<unknown>) {
  const before = receipts.count();
  let error: BriefcaseError | undefined;
  try {
    await run();
  } catch (caught) {
    if (!isBriefcaseError(caught)) throw caught;
    error = caught;
  }
  const added = receipts
    .list({ limit: 50 })
    .filter((r) => r.seq > before)
    .reverse();
  return { error, added };
}

/** Exactly one final receipt of `kind` with `outcome` (an external call's intent comes before it). */
function expectOneFinal(added: Receipt[], kind: string, outcome: string, error?: BriefcaseError) {
  const finals = added.filter((r) => r.kind !== 'tool_call_intent');
  expect(finals).toHaveLength(1);
  expect(finals[0]).toMatchObject({ kind, outcome });
  if (error) expect((error.details as { receiptSeq: number }).receiptSeq).toBe(finals[0]?.seq);
  for (const r of added) expect(Object.keys(RECEIPT_KINDS)).toContain(r.kind);
}

describe('every action kind ends in exactly one final receipt of its kind', () => {
  for (const mode of ['pure', 'transactional', 'external'] as const) {
    it(`tool_call (${mode}): allowed, denied, invalid, failed upstream`, async () => {
      const ok = await attempt(() => kernel.enforce(actionFor(`read_${mode}`, { n: 1 }), caller));
      expectOneFinal(ok.added, 'tool_call', 'ok');
      expect(ok.added.map((r) => r.kind)).toEqual(
        mode === 'external' ? ['tool_call_intent', 'tool_call'] : ['tool_call'],
      );

      const denied = await attempt(() => kernel.enforce(actionFor(`forbidden_${mode}`, {}), caller));
      expect(denied.error?.code).toBe('denied');
      expectOneFinal(denied.added, 'tool_call', 'denied', denied.error);
      expect(denied.added).toHaveLength(1);

      const invalid = await attempt(() => kernel.enforce(actionFor(`read_${mode}`, { n: 'x' }), caller));
      expect(invalid.error?.code).toBe('invalid_args');
      expectOneFinal(invalid.added, 'tool_call', 'invalid', invalid.error);

      const unknown = await attempt(() => kernel.enforce(actionFor('no_such_tool', {}), caller));
      expect(unknown.error?.code).toBe('not_found');
      expectOneFinal(unknown.added, 'tool_call', 'invalid', unknown.error);

      const failed = await attempt(() => kernel.enforce(actionFor(`read_${mode}`, { fail: true }), caller));
      expect(failed.error?.code).toBe('upstream_error');
      expectOneFinal(failed.added, 'tool_call', 'failed', failed.error);
    });

    it(`tool_call (${mode}): approval pending, approved, denied`, async () => {
      const pending = await attempt(() => kernel.enforce(actionFor(`write_${mode}`, { n: 2 }), caller));
      expect(pending.error?.code).toBe('approval_required');
      expectOneFinal(pending.added, 'tool_call', 'approval_required', pending.error);
      const id = pending.error?.approvalId as string;

      approvals.decide(id, 'approved', 'test', Date.now());
      const approved = await attempt(() => kernel.enforce(actionFor(`write_${mode}`, { n: 2 }), caller));
      expect(approved.error).toBeUndefined();
      expectOneFinal(approved.added, 'tool_call', 'ok');
      expect(approved.added.at(-1)?.approvalId).toBe(id);
      expect(approvals.get(id)?.state).toBe('consumed');

      const again = await attempt(() => kernel.enforce(actionFor(`write_${mode}`, { n: 3 }), caller));
      approvals.decide(again.error?.approvalId as string, 'denied', 'test', Date.now(), 'no');
      const refused = await attempt(() => kernel.enforce(actionFor(`write_${mode}`, { n: 3 }), caller));
      expect(refused.error?.code).toBe('denied');
      expectOneFinal(refused.added, 'tool_call', 'denied', refused.error);
    });
  }

  it('tool_call: waiting for a person ends in one receipt, not one per try', async () => {
    const first = await attempt(() => kernel.enforce(actionFor('write_pure', { n: 9 }), caller));
    const id = first.error?.approvalId as string;
    const waited = attempt(() =>
      kernel.enforce(actionFor('write_pure', { n: 9 }), caller, { waitMs: 10_000 }),
    );
    setTimeout(() => {
      const approval = approvals.decide(id, 'approved', 'test', Date.now());
      if (approval) events.emit({ type: 'approved', approval });
    }, 50);
    const { error, added } = await waited;
    expect(error).toBeUndefined();
    expectOneFinal(added, 'tool_call', 'ok');
    expect(added).toHaveLength(1);
    expect(added[0]?.approvalId).toBe(id);
  });

  it('mcp_relay: allowed, denied, approval_required without a binding is denied, policy error, failed upstream', async () => {
    const ok = await attempt(() =>
      kernel.enforce(
        relayAction('allow', async () => ({ contents: [] })),
        caller,
      ),
    );
    expectOneFinal(ok.added, 'mcp_relay', 'ok');
    expect(ok.added[0]).toMatchObject({ server: 'srv', method: 'resources/read', decision: 'allow' });
    expect(ok.added[0]).not.toHaveProperty('approvalId');

    for (const decision of ['deny', 'approval_required', 'throws'] as const) {
      let ran = false;
      const denied = await attempt(() =>
        kernel.enforce(
          relayAction(decision, async () => {
            ran = true;
            return {};
          }),
          caller,
        ),
      );
      expect(ran, decision).toBe(false);
      expect(denied.error?.code).toBe('denied');
      expectOneFinal(denied.added, 'mcp_relay', 'denied', denied.error);
    }

    const failed = await attempt(() =>
      kernel.enforce(
        relayAction('allow', () =>
          Promise.reject(
            new BriefcaseError('upstream_error', 'no', {
              details: { receiptReason: { stage: 'relay', id: 'relay:no-session', message: 'none' } },
            }),
          ),
        ),
        caller,
      ),
    );
    expectOneFinal(failed.added, 'mcp_relay', 'failed', failed.error);
    expect(failed.added[0]?.reasons).toContainEqual({
      stage: 'relay',
      id: 'relay:no-session',
      message: 'none',
    });

    const invalid = await attempt(() =>
      kernel.recordRejected(
        relayAction('allow', async () => ({})),
        caller,
        new BriefcaseError('invalid_args', 'bad'),
      ),
    );
    expectOneFinal(invalid.added, 'mcp_relay', 'invalid');
  });

  it('a receipt that cannot be written fails the action with internal_error and records nothing', async () => {
    db.exec("CREATE TRIGGER fail_receipts BEFORE INSERT ON receipts BEGIN SELECT RAISE(ABORT, 'disk'); END;");
    const broken = await attempt(() => kernel.enforce(actionFor('read_transactional', {}), caller));
    expect(broken.error?.code).toBe('internal_error');
    expect(broken.added).toHaveLength(0);
  });
});

describe('rejected tool calls leave receipts that say what was tried', () => {
  const digest = (text: string) => `sha256:${sha256Hex(text)}`;

  it('an approval id that names no approval: the tool, no approvalId, a digest of the id, its own hint', async () => {
    const { error, added } = await attempt(() =>
      kernel.enforce(callWith({ tool: 'write_pure', args: { n: 1 }, approvalId: 'nope' }), caller),
    );
    expect(error?.code).toBe('denied');
    expect(error?.details).toMatchObject({ deniedBy: 'approval' });
    expect(error?.message).not.toMatch(/polic/i);
    expectOneFinal(added, 'tool_call', 'denied', error);
    expect(added[0]).toMatchObject({ tool: 'write_pure', approvalId: null, approvalIdGiven: digest('nope') });
  });

  it("another call's approval id is recorded as a digest too, never as the approval used", async () => {
    const pending = await attempt(() => kernel.enforce(actionFor('write_pure', { n: 1 }), caller));
    const id = pending.error?.approvalId as string;
    approvals.decide(id, 'approved', 'test', Date.now());
    const { error, added } = await attempt(() =>
      kernel.enforce(callWith({ tool: 'write_pure', args: { n: 2 }, approvalId: id }), caller),
    );
    expect(error?.details).toMatchObject({ deniedBy: 'approval' });
    expect(added[0]).toMatchObject({ tool: 'write_pure', approvalId: null, approvalIdGiven: digest(id) });
    expect(approvals.get(id)?.state).toBe('approved');
  });

  it('an approval id that is too long or not a string: the valid tool name and a bounded digest', async () => {
    const long = 'x'.repeat(100_000);
    for (const [approvalId, text] of [
      [long, long],
      [7, '7'],
      [{ a: [1] }, '{"a":[1]}'],
    ] as const) {
      const { error, added } = await attempt(() =>
        kernel.enforce(callWith({ tool: 'read_pure', args: {}, approvalId }), caller),
      );
      expect(error?.code).toBe('invalid_args');
      expect(error?.message).toMatch(/repeat the call without it/);
      expect(error?.message).not.toMatch(/polic/i);
      expectOneFinal(added, 'tool_call', 'invalid', error);
      expect(added[0]).toMatchObject({ tool: 'read_pure', approvalId: null, approvalIdGiven: digest(text) });
      expect(JSON.stringify(added[0]).length).toBeLessThan(2_000);
    }
  });

  it('a body the contract refused still records its tool name and approval id digest', async () => {
    const long = 'y'.repeat(100_000);
    const { added } = await attempt(() =>
      toolCalls.recordRejected(caller, new BriefcaseError('invalid_args', 'refused'), {
        tool: 'write_pure',
        approvalId: long,
      }),
    );
    expectOneFinal(added, 'tool_call', 'invalid');
    expect(added[0]).toMatchObject({ tool: 'write_pure', approvalId: null, approvalIdGiven: digest(long) });
    const unreadable = await attempt(() =>
      toolCalls.recordRejected(caller, new BriefcaseError('invalid_args', 'unreadable')),
    );
    expect(unreadable.added[0]).toMatchObject({ tool: '', approvalId: null });
    expect(unreadable.added[0]).not.toHaveProperty('approvalIdGiven');
  });
});

describe('one receipt writer', () => {
  it('no daemon module appends to the receipt log but the writer', () => {
    const src = join(import.meta.dirname, '../src');
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const entry of readdirSync(d, { withFileTypes: true })) {
        const path = join(d, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith('kernel/receipt-writer.ts')) {
          if (/receipts\.append\(|\.append\(\s*\{\s*kind:/.test(readFileSync(path, 'utf8')))
            offenders.push(path);
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});

describe('capabilities of external tools', () => {
  it('a secret reader answers only for the names the tool declared', async () => {
    const store = createMemorySecretStore();
    await store.put('provider.token', 'value-of-the-declared-secret');
    await store.put('other.token', 'value-of-another-secret');
    const secrets = scopedSecrets(store, ['provider.token']);
    expect((await secrets.get('provider.token'))?.reveal()).toBe('value-of-the-declared-secret');
    const refused = await secrets.get('other.token').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isBriefcaseError(refused) && refused.code).toBe('sandbox_violation');
    expect(String((refused as Error).message)).not.toContain('value-of-another-secret');
  });

  it('outbound fetch never follows a redirect', async () => {
    let followed = false;
    const server = createServer((req, res) => {
      if (req.url === '/elsewhere') followed = true;
      res.writeHead(req.url === '/start' ? 302 : 200, { location: '/elsewhere' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await outboundFetch(`http://127.0.0.1:${port}/start`);
      expect(response.status).toBe(302);
      expect(followed).toBe(false);
    } finally {
      server.close();
    }
  });
});

describe('the input hash of an admin receipt', () => {
  it('blanks secret-bearing members, so a guessed secret cannot be tested against it', () => {
    const add = (token: string, url = 'http://127.0.0.1:1/mcp') => ({
      name: 's',
      url,
      env: { TOKEN: token },
      clientSecret: token,
    });
    expect(adminInputHash(add('first-secret'))).toBe(adminInputHash(add('second-secret')));
    expect(adminInputHash(add('x'))).not.toBe(adminInputHash(add('x', 'http://127.0.0.1:2/mcp')));
    expect(adminInputHash({ env: { A: 'x' } })).not.toBe(adminInputHash({ env: { B: 'x' } }));
    expect(adminInputHash(['not', 'an', 'object'])).toBeNull();
    expect(adminInputHash('a bare string')).toBeNull();
  });
});
