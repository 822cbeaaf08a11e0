import { sha256Hex } from '@briefcase/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon;
beforeAll(async () => {
  t = await startTestDaemon();
});
afterAll(async () => {
  await t.stop();
});

async function stillServing() {
  const reply = await t.call('echo', { text: 'alive' });
  expect(reply.status).toBe(200);
}

const post = (body: string | Buffer, headers: Record<string, string> = {}, token = t.agent) =>
  rawRequest(t.daemon.socketPath, { method: 'POST', path: '/v1/tools/call', token, body, headers });

describe('hostile input gets a stable error code and the daemon keeps serving', () => {
  const cases: Array<
    [string, () => Promise<{ status: number; json: { error: { code: string } } }>, number, string]
  > = [
    ['malformed JSON', () => post('{"tool": "echo", "args": {'), 400, 'invalid_args'],
    ['empty body', () => post(''), 400, 'invalid_args'],
    ['a JSON array body', () => post('[1,2,3]'), 400, 'invalid_args'],
    ['wrong type for tool', () => post('{"tool": 42}'), 400, 'invalid_args'],
    ['args that are not an object', () => post('{"tool": "echo", "args": "text"}'), 400, 'invalid_args'],
    [
      'unknown top-level member',
      () => post('{"tool": "echo", "args": {"text": "x"}, "admin": true}'),
      400,
      'invalid_args',
    ],
    [
      'a body over the size limit',
      () => post(JSON.stringify({ tool: 'echo', args: { text: 'x'.repeat(2 * 1024 * 1024) } })),
      413,
      'invalid_args',
    ],
    [
      'arguments nested 100,000 deep',
      () => post(`{"tool":"echo","args":{"text":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`),
      400,
      'invalid_args',
    ],
    [
      'a non-JSON content type',
      () => post('tool=echo', { 'content-type': 'text/plain' }),
      415,
      'invalid_args',
    ],
    [
      'a prototype-pollution payload',
      () => post('{"tool":"echo","args":{"text":"x","__proto__":{"admin":true}}}'),
      400,
      'invalid_args',
    ],
    [
      'an unknown tool with a hostile name',
      () => post(JSON.stringify({ tool: '"\n\u0000<script>', args: {} })),
      404,
      'not_found',
    ],
    ['no token', () => post('{"tool":"echo","args":{"text":"x"}}', {}, ''), 401, 'unauthorized'],
    [
      'a wrong token',
      () => post('{"tool":"echo","args":{"text":"x"}}', {}, 'A'.repeat(43)),
      401,
      'unauthorized',
    ],
    [
      'a token with spaces and junk',
      () => post('{"tool":"echo"}', { authorization: 'Bearer  x y z\u00ff' }, ''),
      401,
      'unauthorized',
    ],
    [
      'an approval id of the wrong type',
      () => post('{"tool":"note_add","args":{"text":"x"},"approvalId":7}'),
      400,
      'invalid_args',
    ],
    [
      'an approval id that does not exist',
      () => post('{"tool":"note_add","args":{"text":"x"},"approvalId":"nope"}'),
      403,
      'denied',
    ],
  ];

  for (const [name, send, status, code] of cases) {
    it(name, async () => {
      const reply = await send();
      expect(reply.status).toBe(status);
      expect(reply.json.error.code).toBe(code);
      expect(typeof (reply.json.error as { message?: unknown }).message).toBe('string');
      await stillServing();
    });
  }

  it('answers unknown routes with not_found and never crashes on odd paths', async () => {
    for (const path of [
      '/v2/anything',
      '/v1/approvals/%ZZ',
      `/v1/approvals/${'a'.repeat(5000)}`,
      '/v1/receipts?limit=-1',
    ]) {
      const reply = await rawRequest(t.daemon.socketPath, { path, token: t.admin });
      expect(reply.status).toBeGreaterThanOrEqual(400);
      expect(reply.status).toBeLessThan(500);
      expect(typeof reply.json.error.code).toBe('string');
    }
    await stillServing();
  });

  it('records the tool and a digest of a bad approval id the contract refused, with a message about the id', async () => {
    const long = 'z'.repeat(65);
    const reply = await post(JSON.stringify({ tool: 'note_add', args: { text: 'x' }, approvalId: long }));
    expect(reply.status).toBe(400);
    expect(reply.json.error.message).toMatch(/^approvalId must be the id of an approval/);
    expect(reply.json.error.message).not.toMatch(/polic/i);
    const seq = reply.json.error.details.receiptSeq as number;
    const receipt = (await t.api('GET', '/v1/receipts?limit=5')).json.receipts.find(
      (r: { seq: number }) => r.seq === seq,
    );
    expect(receipt).toMatchObject({
      kind: 'tool_call',
      tool: 'note_add',
      outcome: 'invalid',
      approvalId: null,
      approvalIdGiven: `sha256:${sha256Hex(long)}`,
    });
    expect(JSON.stringify(receipt)).not.toContain(long);
  });

  it('leaves a receipt for malformed call attempts too', async () => {
    const before = (await t.api('POST', '/v1/receipts/verify', {})).json.count;
    await post('{"tool": ');
    await post('{"tool": 1}');
    const after = await t.api('POST', '/v1/receipts/verify', {});
    expect(after.json).toMatchObject({ ok: true, count: before + 2 });
  });
});
