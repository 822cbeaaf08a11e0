/**
 * Approval requests never stay pending forever: one whose waiting caller went away (or whose daemon
 * stopped) before anyone decided is withdrawn at once, one past its lifetime expires, and each leaves
 * an `approval_expired` receipt. One whose id a caller was given stays approvable for its retry.
 */
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type Reply, startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon | undefined;

afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function daemon(): TestDaemon {
  if (!t) throw new Error('no daemon');
  return t;
}

/**
 * Starts a `note_add` call that holds for a decision (`waitMs`), as the gateway or `tools call --wait`
 * sends it. `leave()` drops the connection, as a caller that goes away does; `answer` is what a caller
 * that stays gets.
 */
function waitingCall(text: string): { leave(): void; answer: Promise<Reply> } {
  const d = daemon();
  let leave = () => {};
  const answer = new Promise<Reply>((resolve, reject) => {
    const req = httpRequest(
      {
        socketPath: d.daemon.socketPath,
        path: '/v1/tools/call',
        method: 'POST',
        headers: { authorization: `Bearer ${d.agent}`, 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: body, json: JSON.parse(body) });
        });
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ tool: 'note_add', args: { text }, waitMs: 60_000 }));
    leave = () => req.destroy();
  });
  return { leave, answer };
}

async function pending(text: string): Promise<{ id: string; state: string }> {
  for (;;) {
    const list = (await daemon().api('GET', '/v1/approvals?state=all')).json.approvals as Array<{
      id: string;
      state: string;
      summary: string;
    }>;
    const found = list.find((a) => a.summary.includes(text));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Polls the approval until its state is no longer `pending`, or returns `pending` after `tries`. */
async function stateOf(id: string, tries = 1): Promise<string> {
  for (let i = 0; ; i++) {
    const state = (await daemon().api('GET', `/v1/approvals/${id}`)).json.approval.state as string;
    if (state !== 'pending' || i + 1 >= tries) return state;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function expiryReceipts(): Promise<Array<Record<string, unknown>>> {
  return (await daemon().api('GET', '/v1/receipts?limit=100&kind=approval_expired')).json.receipts;
}

describe('an approval whose waiting caller went away', () => {
  it('is withdrawn with an approval_expired receipt (caller_left)', async () => {
    t = await startTestDaemon();
    const call = waitingCall('left before a decision');
    call.answer.catch(() => {});
    const { id } = await pending('left before a decision');
    call.leave();
    expect(await stateOf(id, 250)).toBe('expired');
    expect(await expiryReceipts()).toEqual([
      expect.objectContaining({
        kind: 'approval_expired',
        approvalId: id,
        tool: 'note_add',
        cause: 'caller_left',
      }),
    ]);
    // The attempt itself has its receipt too, naming the approval.
    const calls = (await daemon().api('GET', '/v1/receipts?limit=5&kind=tool_call')).json.receipts;
    expect(calls[0]).toMatchObject({ tool: 'note_add', approvalId: id, outcome: 'approval_required' });
    expect((await daemon().api('POST', '/v1/receipts/verify', {})).json.ok).toBe(true);
  });

  it('stays approvable when another caller was given its id meanwhile', async () => {
    t = await startTestDaemon();
    const call = waitingCall('shared request');
    call.answer.catch(() => {});
    const { id } = await pending('shared request');
    // A call that does not wait gets the same pending request's id, to retry on after approval.
    const other = await daemon().call('note_add', { text: 'shared request' });
    expect(other.json.error).toMatchObject({ code: 'approval_required', approval_id: id });
    call.leave();
    // The departed caller's attempt is receipted; the request it leaves behind is not withdrawn.
    const before = (await daemon().api('GET', '/v1/receipts?limit=1&kind=tool_call')).json.receipts[0].seq;
    for (;;) {
      const newest = (await daemon().api('GET', '/v1/receipts?limit=1&kind=tool_call')).json.receipts[0];
      if (newest.seq > before) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await stateOf(id)).toBe('pending');
    expect(await expiryReceipts()).toEqual([]);
    await daemon().api('POST', `/v1/approvals/${id}/approve`, {});
    const retry = await daemon().call('note_add', { text: 'shared request' });
    expect(retry.status).toBe(200);
  });
});

describe('an approval a call did not wait for', () => {
  it('stays pending and approvable for the retry', async () => {
    t = await startTestDaemon();
    const first = await daemon().call('note_add', { text: 'no wait' });
    expect(first.json.error.code).toBe('approval_required');
    const id = first.json.error.approval_id as string;
    // Its caller is gone too (the request ended): that is no reason to withdraw what it was given.
    expect(await stateOf(id)).toBe('pending');
    await daemon().api('POST', `/v1/approvals/${id}/approve`, {});
    const retry = await daemon().call('note_add', { text: 'no wait' }, { approvalId: id });
    expect(retry.status).toBe(200);
    expect(await expiryReceipts()).toEqual([]);
  });

  it('expires at the end of its lifetime, with an approval_expired receipt (lifetime)', async () => {
    let now = Date.parse('2026-12-04T12:00:00Z');
    t = await startTestDaemon({ clock: () => new Date(now), settings: { approvalTtlMs: 60_000 } });
    const first = await daemon().call('note_add', { text: 'too late' });
    const id = first.json.error.approval_id as string;
    now += 61_000;
    expect(await stateOf(id, 250)).toBe('expired');
    expect(await expiryReceipts()).toEqual([
      expect.objectContaining({ approvalId: id, tool: 'note_add', cause: 'lifetime' }),
    ]);
  });
});

describe('briefcased stopping while a call waits', () => {
  it('answers the waiting caller with shutting_down and withdraws the request, with a receipt', async () => {
    t = await startTestDaemon();
    const dataDir = t.dataDir;
    const call = waitingCall('held while stopping');
    const { id } = await pending('held while stopping');
    const stopped = t.daemon.close();
    const answer = await call.answer;
    expect(answer.status).toBe(503);
    expect(answer.json.error.code).toBe('shutting_down');
    expect(answer.json.error.details.receiptSeq).toEqual(expect.any(Number));
    await stopped;
    // Reopened on the same data dir: the request is expired, and the receipts say why.
    const again = await startTestDaemon({ dataDir });
    t = {
      ...again,
      stop: async () => {
        await again.stop();
      },
    };
    expect(await stateOf(id)).toBe('expired');
    expect(await expiryReceipts()).toEqual([expect.objectContaining({ approvalId: id, cause: 'shutdown' })]);
    expect((await daemon().api('POST', '/v1/receipts/verify', {})).json.ok).toBe(true);
  });
});
