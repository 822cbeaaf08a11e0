import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger } from '@briefcase/telemetry';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawRequest, startTestDaemon, type TestDaemon } from './support.js';

let t: TestDaemon;
const logs: string[] = [];
const canaries = Array.from({ length: 3 }, (_, i) => `canary${i}-${randomBytes(12).toString('hex')}`);
const githubLike = `ghp_${randomBytes(24).toString('hex').slice(0, 36)}`;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _e, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  t = await startTestDaemon({
    logger: createLogger({ name: 'briefcased', level: 'trace', destination: sink }),
  });
  for (const [i, value] of canaries.entries()) await t.daemon.secrets.put(`canary.${i}`, value);
});
afterAll(async () => {
  await t.stop();
});

it('no secret-store value, daemon token or credential-looking output leaks through any flow', async () => {
  // Every flow this issue ships, including failures.
  await t.api('GET', '/v1/status');
  await t.api('GET', '/v1/tools', undefined, t.agent);
  const echoed = await t.call('echo', { text: `token is ${githubLike}` });
  expect(echoed.json.result.text).toContain('[REDACTED:github_token]');
  expect(echoed.json.provenance.redactions).toBe(1);
  const pending = await t.call('note_add', { text: `remember ${githubLike}` });
  const approval = pending.json.error.details.approval;
  expect(approval.summary).not.toContain(githubLike);
  await t.api('GET', '/v1/approvals?state=all');
  await t.api('POST', `/v1/approvals/${approval.id}/approve`, {});
  await t.call('note_add', { text: `remember ${githubLike}` });
  const denied = await t.call('note_add', { text: 'deny me' });
  await t.api('POST', `/v1/approvals/${denied.json.error.approval_id}/deny`, { reason: 'no' });
  await t.call('note_add', { text: 'deny me' });
  await t.call('notes_list', {});
  await t.call('echo', { text: 1 });
  await t.call('nope', {});
  await t.api('PUT', '/v1/budgets/demo_paid', { dailyCapMicroUsd: 3000 });
  await t.call('premium_fortune', {});
  await t.call('premium_fortune', {});
  await t.api('GET', '/v1/budgets');
  await t.api('POST', '/v1/policy/validate', { text: 'permit(' });
  await t.api('PUT', '/v1/policy', { text: 'nonsense' });
  await t.api('GET', '/v1/policy');
  await t.api('GET', '/v1/receipts?limit=1000');
  await t.api('POST', '/v1/receipts/verify', {});
  await t.api('GET', '/v1/receipts/export');
  await t.api('GET', '/v1/approvals', undefined, t.agent);
  await t.api('GET', '/v1/tools', undefined, `${t.admin}x`);
  await rawRequest(t.daemon.socketPath, {
    method: 'POST',
    path: '/v1/tools/call',
    token: t.agent,
    body: '{"tool":',
  });

  const everything = [...t.seen, ...logs].join('\n');
  expect(logs.length).toBeGreaterThan(0);
  // The credential-looking argument is scrubbed from results and approval summaries, and receipts
  // hold only argument hashes, so it appears nowhere either.
  for (const secret of [...canaries, t.admin, t.agent, githubLike]) expect(everything).not.toContain(secret);
});
