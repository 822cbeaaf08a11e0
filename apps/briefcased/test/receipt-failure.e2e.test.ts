import type { ToolProvider } from '@briefcase/briefcased';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

/** A tool with an effect outside the daemon: it counts how often it really ran. */
const outsideEffects: string[] = [];
const externalProvider: ToolProvider = {
  id: 'test-external',
  tools: () => [
    {
      definition: {
        name: 'test_outside_write',
        description: 'Test tool whose effect happens outside the daemon.',
        inputSchema: {
          type: 'object',
          properties: { text: { type: 'string' } },
          required: ['text'],
          additionalProperties: false,
        },
        category: 'test',
        effect: 'read',
        costMicroUsd: 0,
        outputAllowlist: ['*'],
        source: { kind: 'provider', server: 'test' },
      },
      executor: {
        mode: 'external',
        run: async (args) => {
          outsideEffects.push(args.text as string);
          return { done: true };
        },
      },
    },
  ],
};

let t: TestDaemon;
beforeEach(async () => {
  outsideEffects.length = 0;
  t = await startTestDaemon({ providers: [externalProvider] });
});
afterEach(async () => {
  await t.stop();
});

/** Makes every receipt insert fail, as a full disk or a broken database would. */
function breakReceipts() {
  t.daemon.db.exec(
    "CREATE TRIGGER fail_receipts BEFORE INSERT ON receipts BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;",
  );
}

describe('a call whose receipt cannot be written does not happen', () => {
  it('a transactional write rolls back with its receipt', async () => {
    const pending = await t.call('note_add', { text: 'must not persist' });
    await t.api('POST', `/v1/approvals/${pending.json.error.approval_id}/approve`, {});
    breakReceipts();
    const reply = await t.call('note_add', { text: 'must not persist' });
    expect(reply.status).toBe(500);
    expect(reply.json.error.code).toBe('internal_error');
    expect(reply.json.error.message).toMatch(/receipt .* could not be written, so the call did not happen/);
    t.daemon.db.exec('DROP TRIGGER fail_receipts');
    expect(t.daemon.db.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 0 });
  });

  it('a pure read returns no result', async () => {
    breakReceipts();
    const reply = await t.call('echo', { text: 'no receipt, no result' });
    expect(reply.status).toBe(500);
    expect(reply.json.error.code).toBe('internal_error');
    expect(reply.text).not.toContain('no receipt, no result');
  });

  it('a tool with outside effects never starts', async () => {
    breakReceipts();
    const reply = await t.call('test_outside_write', { text: 'x' });
    expect(reply.json.error.code).toBe('internal_error');
    expect(outsideEffects).toEqual([]);
  });

  it('a tool with outside effects gets an intent receipt before it runs and an outcome receipt after', async () => {
    const reply = await t.call('test_outside_write', { text: 'y' });
    expect(reply.status).toBe(200);
    expect(outsideEffects).toEqual(['y']);
    const kinds = (await t.api('GET', '/v1/receipts?limit=2')).json.receipts.map(
      (r: { kind: string }) => r.kind,
    );
    expect(kinds).toEqual(['tool_call', 'tool_call_intent']);
  });
});

describe('single use under concurrency', () => {
  it('ten simultaneous retries of one approved call run it exactly once', async () => {
    const pending = await t.call('note_add', { text: 'once' });
    await t.api('POST', `/v1/approvals/${pending.json.error.approval_id}/approve`, {});
    const replies = await Promise.all(Array.from({ length: 10 }, () => t.call('note_add', { text: 'once' })));
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.json.error?.code === 'approval_required')).toHaveLength(9);
    expect(t.daemon.db.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 1 });
  });
});
