import { canonicalHash } from '@briefcase/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon;
beforeEach(async () => {
  t = await startTestDaemon();
});
afterEach(async () => {
  await t.stop();
});

const approve = (id: string, token?: string) => t.api('POST', `/v1/approvals/${id}/approve`, {}, token);

describe('the call pipeline over the socket API', () => {
  it('lists the built-in tools to the agent role', async () => {
    const reply = await t.api('GET', '/v1/tools', undefined, t.agent);
    expect(reply.status).toBe(200);
    const names = reply.json.tools.map((tool: { name: string }) => tool.name);
    expect(names).toEqual(['echo', 'note_add', 'notes_list', 'premium_fortune']);
    const fortune = reply.json.tools.find((tool: { name: string }) => tool.name === 'premium_fortune');
    expect(fortune).toMatchObject({ category: 'demo_paid', effect: 'read', costMicroUsd: 2000 });
  });

  it('runs an allowed read and returns the redacted result with provenance and a receipt', async () => {
    const reply = await t.call('echo', { text: 'hello' });
    expect(reply.status).toBe(200);
    expect(reply.json.result).toEqual({ text: 'hello' });
    expect(reply.json.provenance).toMatchObject({
      tool: 'echo',
      source: { kind: 'builtin' },
      approvalId: null,
    });
    const receipts = await t.api('GET', '/v1/receipts?limit=1');
    const [receipt] = receipts.json.receipts;
    expect(receipt).toMatchObject({
      seq: reply.json.provenance.receiptSeq,
      hash: reply.json.provenance.receiptHash,
      kind: 'tool_call',
      tool: 'echo',
      outcome: 'ok',
      decision: 'allow',
      argsHash: canonicalHash({ text: 'hello' }),
    });
    expect(JSON.stringify(receipt)).not.toContain('hello');
  });

  it('asks for approval for a write, then lets exactly one retry of the same call through', async () => {
    const first = await t.call('note_add', { text: 'a' });
    expect(first.status).toBe(409);
    expect(first.json.error.code).toBe('approval_required');
    const id = first.json.error.approval_id;
    expect(first.json.error.details.approval).toMatchObject({ id, tool: 'note_add', state: 'pending' });
    expect(first.json.error.message).toContain(`briefcase approvals approve ${id}`);

    // Retrying before a decision returns the same pending request, not a new one.
    const again = await t.call('note_add', { text: 'a' });
    expect(again.json.error.approval_id).toBe(id);

    expect((await approve(id)).json.approval.state).toBe('approved');
    const retry = await t.call('note_add', { text: 'a' });
    expect(retry.status).toBe(200);
    expect(retry.json.provenance.approvalId).toBe(id);
    expect((await t.api('GET', `/v1/approvals/${id}`)).json.approval.state).toBe('consumed');

    // Single use: the same call needs a new approval.
    const third = await t.call('note_add', { text: 'a' });
    expect(third.json.error.code).toBe('approval_required');
    expect(third.json.error.approval_id).not.toBe(id);

    const notes = await t.call('notes_list', {});
    expect(notes.json.result.notes.map((n: { text: string }) => n.text)).toEqual(['a']);
  });

  it('binds an approval to the exact arguments', async () => {
    const a = await t.call('note_add', { text: 'a' });
    await approve(a.json.error.approval_id);
    const b = await t.call('note_add', { text: 'b' });
    expect(b.json.error.code).toBe('approval_required');
    expect(b.json.error.approval_id).not.toBe(a.json.error.approval_id);
    // Naming the approval for "a" explicitly does not help "b" either.
    const explicit = await t.call('note_add', { text: 'b' }, { approvalId: a.json.error.approval_id });
    expect(explicit.status).toBe(403);
    expect(explicit.json.error.code).toBe('denied');
    // "a" is still usable, with its id.
    const ok = await t.call('note_add', { text: 'a' }, { approvalId: a.json.error.approval_id });
    expect(ok.status).toBe(200);
  });

  it('never lets the agent role approve, deny or read approvals', async () => {
    const first = await t.call('note_add', { text: 'x' });
    const id = first.json.error.approval_id;
    for (const [method, path] of [
      ['POST', `/v1/approvals/${id}/approve`],
      ['POST', `/v1/approvals/${id}/deny`],
      ['GET', '/v1/approvals'],
      ['GET', '/v1/receipts'],
      ['PUT', '/v1/policy'],
    ] as const) {
      const reply = await t.api(method, path, method === 'GET' ? undefined : {}, t.agent);
      expect(reply.status, `${method} ${path}`).toBe(403);
      expect(reply.json.error.code).toBe('unauthorized');
    }
    expect((await t.api('GET', `/v1/approvals/${id}`)).json.approval.state).toBe('pending');
  });

  it('turns a denial by a person into a denied call', async () => {
    const first = await t.call('note_add', { text: 'no' });
    const id = first.json.error.approval_id;
    const denied = await t.api('POST', `/v1/approvals/${id}/deny`, { reason: 'not today' });
    expect(denied.json.approval).toMatchObject({ state: 'denied', denyReason: 'not today' });
    const retry = await t.call('note_add', { text: 'no' });
    expect(retry.status).toBe(403);
    expect(retry.json.error.code).toBe('denied');
    expect(retry.json.error.message).toContain('not today');
    // A decided approval cannot be decided again.
    expect((await approve(id)).json.error.code).toBe('invalid_args');
  });

  it('rejects invalid arguments with JSON-pointer paths and unknown tools with not_found', async () => {
    const bad = await t.call('echo', { text: 5 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_args');
    expect(bad.json.error.details.errors[0].path).toBe('/text');
    const extra = await t.call('echo', { text: 'x', more: true });
    expect(extra.json.error.code).toBe('invalid_args');
    const missing = await t.call('no_such_tool', {});
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('not_found');
  });

  it('charges priced tools against the budget and asks for approval when a cap would be overrun', async () => {
    for (let i = 0; i < 5; i++)
      expect((await t.call('premium_fortune', { topic: `t${i}` })).status).toBe(200);
    const sixth = await t.call('premium_fortune', { topic: 'six' });
    expect(sixth.json.error.code).toBe('approval_required');
    expect(
      sixth.json.error.details.approval.reasons.some((r: { id: string }) => r.id.startsWith('budget:')),
    ).toBe(true);
    const budgets = await t.api('GET', '/v1/budgets');
    expect(budgets.json.budgets).toContainEqual(
      expect.objectContaining({
        category: 'demo_paid',
        spentTodayMicroUsd: 10_000,
        dailyCapMicroUsd: 10_000,
      }),
    );
    await t.api('PUT', '/v1/budgets/demo_paid', { dailyCapMicroUsd: 1_000_000, monthlyCapMicroUsd: null });
    expect((await t.call('premium_fortune', { topic: 'seven' })).status).toBe(200);
  });

  it('writes exactly one receipt per attempt and keeps an intact chain', async () => {
    const before = (await t.api('POST', '/v1/receipts/verify', {})).json.count;
    await t.call('echo', { text: 'one' });
    await t.call('echo', { text: 1 });
    await t.call('nope', {});
    await t.call('note_add', { text: 'r' });
    const verify = await t.api('POST', '/v1/receipts/verify', {});
    expect(verify.json).toMatchObject({ ok: true, count: before + 4 });
    const outcomes = (await t.api('GET', '/v1/receipts?limit=4&kind=tool_call')).json.receipts.map(
      (r: { outcome: string }) => r.outcome,
    );
    expect(outcomes).toEqual(['approval_required', 'invalid', 'invalid', 'ok']);
  });
});

describe('budget overrun configured to deny', () => {
  it('returns budget_exceeded instead of asking', async () => {
    await t.stop();
    t = await startTestDaemon({ settings: { budgetOverrun: 'deny' } });
    await t.api('PUT', '/v1/budgets/demo_paid', { dailyCapMicroUsd: 2000 });
    expect((await t.call('premium_fortune', {})).status).toBe(200);
    const over = await t.call('premium_fortune', {});
    expect(over.status).toBe(402);
    expect(over.json.error.code).toBe('budget_exceeded');
  });
});

describe('approval expiry', () => {
  it('an expired approval no longer lets the call through', async () => {
    await t.stop();
    let now = Date.parse('2026-11-27T12:00:00Z');
    t = await startTestDaemon({ clock: () => new Date(now), settings: { approvalTtlMs: 60_000 } });
    const first = await t.call('note_add', { text: 'late' });
    const id = first.json.error.approval_id;
    await approve(id);
    now += 61_000;
    const retry = await t.call('note_add', { text: 'late' }, { approvalId: id });
    expect(retry.json.error.code).toBe('approval_required');
    expect(retry.json.error.approval_id).not.toBe(id);
  });
});

describe('receipt export', () => {
  it('does not block tool calls while a slow reader holds the export stream open', async () => {
    for (let i = 0; i < 1200; i++) await t.call('echo', { text: `${i}` });
    const { request } = await import('node:http');
    const lines: string[] = [];
    let resume: () => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      const req = request(
        {
          socketPath: t.daemon.socketPath,
          path: '/v1/receipts/export',
          headers: { authorization: `Bearer ${t.admin}` },
        },
        (res) => {
          res.pause();
          resume = () => {
            res.setEncoding('utf8');
            let buffer = '';
            res.on('data', (chunk: string) => {
              buffer += chunk;
            });
            res.on('end', () => {
              lines.push(...buffer.trim().split('\n'));
              resolve();
            });
            res.resume();
          };
        },
      );
      req.on('error', reject);
      req.end();
    });
    await new Promise((r) => setTimeout(r, 100));
    // The export has started and is paused by its reader; calls must still be recorded.
    expect((await t.call('echo', { text: 'during export' })).status).toBe(200);
    resume();
    await done;
    expect(lines.length).toBeGreaterThanOrEqual(1201);
    expect(JSON.parse(lines[0] as string).seq).toBe(1);
  });
});

describe('waiting for a decision (waitMs)', () => {
  async function pendingId(text: string): Promise<string> {
    for (let i = 0; i < 100; i++) {
      const pending = (await t.api('GET', '/v1/approvals')).json.approvals;
      const match = pending.find((a: { summary: string }) => a.summary.includes(text));
      if (match) return match.id;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no approval request appeared');
  }

  it('holds the call until a person approves, then runs it', async () => {
    const call = t.call('note_add', { text: 'held' }, { waitMs: 10_000 });
    await approve(await pendingId('held'));
    const reply = await call;
    expect(reply.status).toBe(200);
    expect(reply.json.result).toHaveProperty('id');
  });

  it('reports a denial made while waiting', async () => {
    const call = t.call('note_add', { text: 'refused' }, { waitMs: 10_000 });
    await t.api('POST', `/v1/approvals/${await pendingId('refused')}/deny`, { reason: 'nope' });
    const reply = await call;
    expect(reply.status).toBe(403);
    expect(reply.json.error.code).toBe('denied');
  });

  it('answers approval_required when nobody decides in time', async () => {
    const reply = await t.call('note_add', { text: 'ignored' }, { waitMs: 300 });
    expect(reply.status).toBe(409);
    expect(reply.json.error.code).toBe('approval_required');
  });

  it('rejects a wait longer than two minutes', async () => {
    expect((await t.call('echo', { text: 'x' }, { waitMs: 120_001 })).json.error.code).toBe('invalid_args');
  });
});

describe('a caller who disconnects while waiting', () => {
  it('does not have the call run later on an approval nobody will see', async () => {
    const { request } = await import('node:http');
    const req = request({
      socketPath: t.daemon.socketPath,
      path: '/v1/tools/call',
      method: 'POST',
      headers: { authorization: `Bearer ${t.agent}`, 'content-type': 'application/json' },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ tool: 'note_add', args: { text: 'gone' }, waitMs: 10_000 }));
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      await new Promise((r) => setTimeout(r, 20));
      id = (await t.api('GET', '/v1/approvals')).json.approvals[0]?.id;
    }
    req.destroy();
    // Nobody can retry on it, so it is withdrawn (see approval-expiry.e2e.test.ts) and cannot be approved.
    let state = 'pending';
    for (let i = 0; i < 250 && state === 'pending'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      state = (await t.api('GET', `/v1/approvals/${id}`)).json.approval.state;
    }
    expect(state).toBe('expired');
    expect((await t.api('POST', `/v1/approvals/${id}/approve`, {})).json.error.code).toBe('invalid_args');
    expect((await t.call('notes_list', {})).json.result.notes).toEqual([]);
  });
});
