/**
 * End to end: the built `briefcase` CLI as a subprocess against a real briefcased, itself started
 * as `briefcase daemon` in a temp data dir with the in-memory secret backend.
 * Build first: `npx tsc -b apps/cli`.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policySetTextToParts, policyToJson } from '@cedar-policy/cedar-wasm/nodejs';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorOut, type Running, run, runJson, start, startDaemon, stop } from './support.js';

let dataDir: string;
let daemon: Running | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-e2e-'));
  daemon = await startDaemon(dataDir);
}, 40_000);

afterAll(async () => {
  await stop(daemon);
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('without a daemon', () => {
  it('exits 3 with a hint naming the data dir, `briefcase daemon` and BRIEFCASE_DATA_DIR', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'bc-cli-none-'));
    try {
      const human = await run(empty, 'status');
      expect(human.code).toBe(3);
      expect(human.stderr).toMatch(/^error\[daemon_unavailable\]: /);
      expect(human.stderr).toContain(empty);
      expect(human.stderr).toMatch(/hint: .*briefcase daemon.*BRIEFCASE_DATA_DIR/);
      const json = await runJson<ErrorOut>(empty, 'tools', 'list');
      expect(json.code).toBe(3);
      expect(json.body.error.code).toBe('daemon_unavailable');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});

describe('with a running daemon', () => {
  it('status shows the daemon and its data dir', async () => {
    const human = await run(dataDir, 'status');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/briefcased .* is running \(pid \d+\)/);
    const { code, body } = await runJson(dataDir, 'status');
    expect(code).toBe(0);
    expect(body.dataDir).toBe(dataDir);
    expect(body.secretBackend).toBe('memory');
    // The in-memory backend loses secrets on exit, so the daemon flags it and status must show it.
    expect(body.secretBackendNotice).toEqual(expect.any(String));
    expect(human.stderr).toContain(`warning: ${body.secretBackendNotice}`);
    const second = await run(dataDir, 'daemon');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^error\[internal_error\]: briefcased could not start: /m);
  });

  it('tools list prints a table and JSON', async () => {
    const table = await run(dataDir, 'tools', 'list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+EFFECT\s+CATEGORY\s+COST/);
    const fortune = lines.find((l) => l.startsWith('premium_fortune '));
    expect(fortune).toMatch(/\bread\s+demo_paid\s+\$0\.002000\b/);
    expect(lines.find((l) => l.startsWith('note_add '))).toMatch(/\bwrite\b/);
    const { code, body } = await runJson<{ tools: Array<{ name: string }> }>(dataDir, 'tools', 'list');
    expect(code).toBe(0);
    expect(body.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['echo', 'note_add', 'notes_list', 'premium_fortune']),
    );
  });

  it('tools call echo returns the result, with provenance in --json', async () => {
    const human = await run(dataDir, 'tools', 'call', 'echo', '--args', '{"text":"hello e2e"}');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('hello e2e');
    expect(human.stderr).toMatch(/^ok: echo ran in .* receipt #\d+/m);
    const { code, body } = await runJson<{
      result: unknown;
      provenance: { tool: string; receiptSeq: number };
    }>(dataDir, 'tools', 'call', 'echo', '--args', '{"text":"json"}');
    expect(code).toBe(0);
    expect(JSON.stringify(body.result)).toContain('json');
    expect(body.provenance.tool).toBe('echo');
    expect(body.provenance.receiptSeq).toBeGreaterThan(0);
  });

  it('note_add needs approval; an approval is good for exactly one retry', async () => {
    const first = await runJson<ErrorOut>(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"a"}');
    expect(first.code).toBe(4);
    expect(first.body.error.code).toBe('approval_required');
    const id = first.body.error.approval_id as string;
    expect(id).toEqual(expect.any(String));

    const human = await run(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"a"}');
    expect(human.code).toBe(4);
    expect(human.stderr).toContain(`briefcase approvals approve ${id}`);
    expect(human.stderr).toContain(`briefcase tools call note_add --args '{"text":"a"}' --approval ${id}`);

    const list = await run(dataDir, 'approvals', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+pending\\s+note_add`, 'm'));
    const listed = await runJson<{ approvals: Array<{ id: string }> }>(dataDir, 'approvals', 'list');
    expect(listed.body.approvals.map((a) => a.id)).toContain(id);

    const approve = await run(dataDir, 'approvals', 'approve', id);
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain(`approved ${id}`);
    // No call is held in the daemon for it (the CLI answered at once): the agent has to repeat it.
    expect(approve.stdout).toContain('no call is waiting for it: the agent can repeat the same call once');

    const retry = await runJson<{ provenance: { approvalId: string } }>(
      dataDir,
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"a"}',
    );
    expect(retry.code).toBe(0);
    expect(retry.body.provenance.approvalId).toBe(id);

    const again = await runJson<ErrorOut>(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"a"}');
    expect(again.code).toBe(4);
    expect(again.body.error.approval_id).toEqual(expect.any(String));
    expect(again.body.error.approval_id).not.toBe(id);

    const all = await runJson<{ approvals: Array<{ id: string; state: string }> }>(
      dataDir,
      'approvals',
      'list',
      '--all',
    );
    expect(all.body.approvals.find((a) => a.id === id)?.state).toBe('consumed');
  });

  it('a denied approval makes the retry exit 5', async () => {
    const first = await runJson<ErrorOut>(
      dataDir,
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"deny me"}',
    );
    expect(first.code).toBe(4);
    const id = first.body.error.approval_id as string;
    const deny = await run(dataDir, 'approvals', 'deny', id, '--reason', 'not today');
    expect(deny.code).toBe(0);
    expect(deny.stdout).toContain(`denied ${id}`);
    const retry = await runJson<ErrorOut>(
      dataDir,
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"deny me"}',
      '--approval',
      id,
    );
    expect(retry.code).toBe(5);
    expect(retry.body.error.code).toBe('denied');
    const human = await run(
      dataDir,
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"deny me"}',
      '--approval',
      id,
    );
    expect(human.code).toBe(5);
    expect(human.stderr).toMatch(/^error\[denied\]: A person denied this call: not today/);
    // The person's hint, not the policy's ("The policy forbids this call" contradicted the message).
    expect(human.stderr).toMatch(/^hint: A person denied this request/m);
    expect(human.stderr).not.toMatch(/polic/i);
    expect(retry.body.error).toMatchObject({ details: { deniedBy: 'person' } });

    // An approval id that names another call: its own hint, not the policy's.
    const other = await run(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"x"}', '--approval', id);
    expect(other.code).toBe(5);
    expect(other.stderr).toMatch(/does not exist or does not cover this tool/);
    expect(other.stderr).toMatch(/^hint: Check the id with `briefcase approvals list --all`/m);
    expect(other.stderr).not.toMatch(/polic/i);

    // Not an approval id at all (too long): about --approval, not the tool's arguments or the policy.
    const long = await run(
      dataDir,
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"x"}',
      '--approval',
      'x'.repeat(70),
    );
    expect(long.code).toBe(6);
    expect(long.stderr).toMatch(/^error\[invalid_args\]: approvalId must be the id of an approval/);
    expect(long.stderr).toMatch(/^hint: Check the id with `briefcase approvals list --all`/m);
    expect(long.stderr).not.toMatch(/input schema|polic/i);
  });

  it('tools call --wait retries once another process approves', async () => {
    const waiting = start(dataDir, [
      '--json',
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"wait"}',
      '--wait',
      '--timeout',
      '60',
    ]);
    const [, id] = await waiting.waitFor('stderr', /waiting for approval (\S+)…/);
    const approve = await run(dataDir, 'approvals', 'approve', id as string);
    expect(approve.code).toBe(0);
    const done = await waiting.exited;
    expect(done.code).toBe(0);
    const body = JSON.parse(done.stdout) as { provenance: { tool: string; approvalId: string } };
    expect(body.provenance).toMatchObject({ tool: 'note_add', approvalId: id });
  }, 60_000);

  it('tools call --wait exits 5 when the approval is denied, and 4 when it times out', async () => {
    const waiting = start(dataDir, ['tools', 'call', 'note_add', '--args', '{"text":"wait deny"}', '--wait']);
    const [, id] = await waiting.waitFor('stderr', /waiting for approval (\S+)…/);
    expect((await run(dataDir, 'approvals', 'deny', id as string)).code).toBe(0);
    const denied = await waiting.exited;
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/error\[denied\]: approval \S+ was denied/);

    const timeout = await run(
      dataDir,
      'tools',
      'call',
      'note_add',
      '--args',
      '{"text":"nobody"}',
      '--wait',
      '--timeout',
      '1',
    );
    expect(timeout.code).toBe(4);
    expect(timeout.stderr).toMatch(/still pending/);
  }, 60_000);

  it('approvals watch prints one JSON object per event until SIGINT', async () => {
    const watch = start(dataDir, ['--json', 'approvals', 'watch']);
    await watch.waitFor('stdout', /"event":"snapshot"/);
    expect((await run(dataDir, 'tools', 'call', 'note_add', '--args', '{"text":"watched"}')).code).toBe(4);
    await watch.waitFor('stdout', /"type":"created"/);
    watch.child.kill('SIGINT');
    const done = await watch.exited;
    expect(done.code).toBe(0);
    const events = done.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; type?: string; approval?: { summary: string } });
    expect(events[0]?.event).toBe('snapshot');
    expect(events.some((e) => e.type === 'created' && e.approval?.summary.includes('watched'))).toBe(true);
  });

  it('premium_fortune is charged to demo_paid; the call past the daily cap needs approval', async () => {
    for (let i = 1; i <= 5; i++) {
      const call = await run(dataDir, 'tools', 'call', 'premium_fortune', '--args', `{"topic":"t${i}"}`);
      expect(call.code, call.stderr).toBe(0);
    }
    const sixth = await runJson<ErrorOut>(
      dataDir,
      'tools',
      'call',
      'premium_fortune',
      '--args',
      '{"topic":"t6"}',
    );
    expect(sixth.code).toBe(4);
    expect(sixth.body.error.code).toBe('approval_required');
    const list = await run(dataDir, 'budgets', 'list');
    expect(list.stdout).toMatch(/^demo_paid\s+\$0\.01\s+\$0\.01\s+\$0\.10\s+\$0\.01\b/m);
  });

  it('budgets set converts USD exactly and list shows it', async () => {
    const set = await run(dataDir, 'budgets', 'set', 'demo_paid', '--daily', '0.5');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('daily cap $0.50');
    const list = await run(dataDir, 'budgets', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^CATEGORY\s+DAILY CAP/);
    expect(list.stdout).toMatch(/^demo_paid\s+\$0\.50\s/m);
    const json = await runJson<{ budgets: Array<{ category: string; dailyCapMicroUsd: number | null }> }>(
      dataDir,
      'budgets',
      'list',
    );
    expect(json.body.budgets.find((b) => b.category === 'demo_paid')?.dailyCapMicroUsd).toBe(500_000);

    const precise = await runJson<{
      budget: { dailyCapMicroUsd: number; monthlyCapMicroUsd: number | null };
    }>(dataDir, 'budgets', 'set', 'demo_paid', '--daily', '0.000001', '--monthly', 'none');
    expect(precise.body.budget).toMatchObject({ dailyCapMicroUsd: 1, monthlyCapMicroUsd: null });
    for (const bad of ['-1', '0.0000001', 'abc', '1e3']) {
      const result = await run(dataDir, 'budgets', 'set', 'demo_paid', '--daily', bad);
      expect(result.code, bad).toBe(2);
      expect(result.stderr).toMatch(/^error\[usage_error\]: --daily: /);
    }
    const after = await runJson<{ budgets: Array<{ category: string; dailyCapMicroUsd: number | null }> }>(
      dataDir,
      'budgets',
      'list',
    );
    expect(after.body.budgets.find((b) => b.category === 'demo_paid')?.dailyCapMicroUsd).toBe(1);
  });

  it('policy show, validate (bad → 6), set', async () => {
    const show = await run(dataDir, 'policy', 'show');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/permit\s*\(/);
    const before = await runJson<{ hash: string; text: string }>(dataDir, 'policy', 'show');

    const bad = join(dataDir, 'bad.cedar');
    await writeFile(bad, 'permit(principal');
    const invalid = await run(dataDir, 'policy', 'validate', bad);
    expect(invalid.code).toBe(6);
    expect(invalid.stderr).toMatch(/^ {2}- .+/m);
    const invalidJson = await runJson<{ ok: boolean; errors: unknown[] }>(dataDir, 'policy', 'validate', bad);
    expect(invalidJson.code).toBe(6);
    expect(invalidJson.body.ok).toBe(false);
    expect(invalidJson.body.errors.length).toBeGreaterThan(0);
    const setBad = await run(dataDir, 'policy', 'set', bad);
    expect(setBad.code).toBe(6);
    expect((await runJson<{ hash: string }>(dataDir, 'policy', 'show')).body.hash).toBe(before.body.hash);

    const good = join(dataDir, 'good.cedar');
    await writeFile(good, `${show.stdout}\n// edited by the e2e test\n`);
    const valid = await run(dataDir, 'policy', 'validate', good);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toMatch(/^policy is valid: /);
    const set = await runJson<{ hash: string }>(dataDir, 'policy', 'set', good);
    expect(set.code).toBe(0);
    expect(set.body.hash).not.toBe(before.body.hash);
    expect((await runJson<{ hash: string }>(dataDir, 'policy', 'show')).body.hash).toBe(set.body.hash);

    expect((await run(dataDir, 'policy', 'validate', join(dataDir, 'missing.cedar'))).code).toBe(2);
  });

  it('policy show prints any Unicode in @reason so that Cedar reads back the same value', async () => {
    const before = await runJson<{ text: string }>(dataDir, 'policy', 'show');
    // Arbitrary strings, plus the ones that broke the show → validate round trip before.
    const reasons = [
      'a\u202eb',
      '\u0000\u001b[31m\u009b',
      'x\ny\u2028z',
      '"\\',
      '🎉\u2066',
      ...fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { numRuns: 60, seed: 9 }),
    ];
    // Cedar refuses only `"`, `\` and CR raw in a string; everything else goes in as typed.
    const literal = (value: string) =>
      `"${value.replace(/["\\\r]/g, (c) => (c === '\r' ? '\\r' : `\\${c}`))}"`;
    const extra = reasons
      .map(
        (r, i) => `@id("u${i}") @reason(${literal(r)}) permit(principal, action, resource) when { false };`,
      )
      .join('\n');
    const file = join(dataDir, 'unicode.cedar');
    await writeFile(file, `${before.body.text}\n${extra}\n`);
    try {
      expect((await run(dataDir, 'policy', 'set', file)).code).toBe(0);
      const show = await run(dataDir, 'policy', 'show');
      expect(show.code).toBe(0);
      expect(show.stdout).toContain('@reason("a\\u{202e}b")');
      // biome-ignore lint/suspicious/noControlCharactersInRegex: nothing a terminal acts on
      expect(show.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
      const shown = join(dataDir, 'shown.cedar');
      await writeFile(shown, show.stdout);
      const validate = await run(dataDir, 'policy', 'validate', shown);
      expect(validate.stderr).toBe('');
      expect(validate.code).toBe(0);
      const parts = policySetTextToParts(show.stdout);
      if (parts.type !== 'success') throw new Error(JSON.stringify(parts.errors));
      // Cedar hands the policies back in no particular order; the @id says which reason is which.
      const shownReasons: (string | undefined)[] = [];
      for (const policy of parts.policies) {
        const json = policyToJson(policy);
        const id = json.type === 'success' ? json.json.annotations?.id : undefined;
        if (json.type === 'success' && id !== undefined && /^u\d+$/.test(id)) {
          shownReasons[Number(id.slice(1))] = json.json.annotations?.reason ?? undefined;
        }
      }
      expect(shownReasons).toEqual(reasons);
    } finally {
      const restore = join(dataDir, 'restore.cedar');
      await writeFile(restore, before.body.text);
      expect((await run(dataDir, 'policy', 'set', restore)).code).toBe(0);
    }
  });

  it('receipts list, verify and export agree', async () => {
    const list = await run(dataDir, 'receipts', 'list', '--limit', '5');
    expect(list.code).toBe(0);
    const rows = list.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^SEQ\s+TIME\s+KIND/);
    expect(rows).toHaveLength(6);
    expect((await run(dataDir, 'receipts', 'list', '--limit', '0')).code).toBe(2);

    const verify = await run(dataDir, 'receipts', 'verify');
    expect(verify.code).toBe(0);
    const match = verify.stdout.match(/^receipt chain intact: (\d+) receipts, head (\d+) ([0-9a-f]{64})$/m);
    expect(match).not.toBeNull();
    const count = Number(match?.[1]);

    const out = join(dataDir, 'export.ndjson');
    const exported = await run(dataDir, 'receipts', 'export', '--out', out);
    expect(exported.code).toBe(0);
    const exportedCount = Number(exported.stdout.match(/^exported (\d+) receipts/)?.[1]);
    expect(exportedCount).toBeGreaterThanOrEqual(count);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    // The receipts, then one signed-head line (see receipts.e2e.test.ts for its verification).
    expect(lines).toHaveLength(exportedCount + 1);
    expect(Object.keys(JSON.parse(lines.at(-1) as string))).toEqual(['signedHead', 'key']);
    const seqs = lines.slice(0, -1).map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: exportedCount }, (_, i) => i + 1));
    expect((await stat(out)).mode & 0o777).toBe(0o600);

    const toStdout = await run(dataDir, 'receipts', 'export');
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout.trimEnd().split('\n').length).toBeGreaterThanOrEqual(exportedCount + 1);
    expect(JSON.parse(toStdout.stdout.trimEnd().split('\n').at(-1) as string).signedHead).toEqual(
      expect.any(String),
    );
  });

  it('the data dir is 0700 and the database with its -wal and -shm files 0600', async () => {
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    // Earlier tests wrote receipts, so SQLite has created the WAL and its shared-memory index.
    for (const name of ['briefcase.db', 'briefcase.db-wal', 'briefcase.db-shm']) {
      expect([name, (await stat(join(dataDir, name))).mode & 0o777]).toEqual([name, 0o600]);
    }
  });

  it('malformed --args exits 2 and sends nothing', async () => {
    const before = (await runJson<{ receipts: { count: number } }>(dataDir, 'status')).body.receipts.count;
    for (const args of ['{bad', '[1,2]', 'null', '"text"']) {
      const result = await run(dataDir, 'tools', 'call', 'echo', '--args', args);
      expect(result.code, args).toBe(2);
      expect(result.stderr).toMatch(/^error\[usage_error\]: --args /);
    }
    const json = await runJson<ErrorOut>(dataDir, 'tools', 'call', 'echo', '--args', '{bad');
    expect(json.code).toBe(2);
    expect(json.body.error.code).toBe('usage_error');
    const after = (await runJson<{ receipts: { count: number } }>(dataDir, 'status')).body.receipts.count;
    expect(after).toBe(before);
  });

  it('an unknown tool exits 13, an unknown command or option 2', async () => {
    const tool = await runJson<ErrorOut>(dataDir, 'tools', 'call', 'no_such_tool');
    expect(tool.code).toBe(13);
    expect(tool.body.error.code).toBe('not_found');
    const command = await run(dataDir, 'frobnicate');
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/^error\[usage_error\]: unknown command 'frobnicate'/);
    expect((await runJson<ErrorOut>(dataDir, 'frobnicate')).body.error.code).toBe('usage_error');
    expect((await run(dataDir, 'tools', 'list', '--bogus')).code).toBe(2);
    expect((await run(dataDir, 'tools')).code).toBe(2);
    expect((await run(dataDir, '--help')).code).toBe(0);
  });

  it('receipts verify --head detects receipts deleted after a recorded head', async () => {
    const first = await run(dataDir, 'receipts', 'verify');
    const head = /--head (\d+:[0-9a-f]{64})/.exec(first.stderr)?.[1];
    expect(head, first.stderr).toBeDefined();
    expect((await run(dataDir, 'receipts', 'verify', '--head', head as string)).code).toBe(0);
    expect((await run(dataDir, 'receipts', 'verify', '--head', 'not-a-head')).code).toBe(2);
    // Delete the newest receipt: the chain alone still verifies, the recorded head does not.
    const db = new Database(join(dataDir, 'briefcase.db'));
    try {
      db.pragma('busy_timeout = 5000');
      db.prepare('DELETE FROM receipts WHERE seq = (SELECT max(seq) FROM receipts)').run();
    } finally {
      db.close();
    }
    expect((await run(dataDir, 'receipts', 'verify')).code).toBe(0);
    const truncated = await run(dataDir, 'receipts', 'verify', '--head', head as string);
    expect(truncated.code).toBe(15);
    expect(truncated.stdout).toMatch(/BROKEN/);
  });

  it('receipts verify exits 15 once a stored receipt is edited behind the daemon', async () => {
    // Edit receipt 2's body in place, the way an attacker with file access would
    // (columns per RECEIPTS_SCHEMA_SQL in @briefcase/receipts).
    const db = new Database(join(dataDir, 'briefcase.db'));
    try {
      db.pragma('busy_timeout = 5000');
      const changed = db
        .prepare('UPDATE receipts SET body = replace(body, \'"v":1\', \'"v":1,"x":1\') WHERE seq = 2')
        .run().changes;
      expect(changed).toBe(1);
    } finally {
      db.close();
    }
    const human = await run(dataDir, 'receipts', 'verify');
    expect(human.code).toBe(15);
    expect(human.stdout).toMatch(/^receipt chain BROKEN at receipt 2: \S/m);
    const json = await runJson<{ ok: boolean; brokenAt: number }>(dataDir, 'receipts', 'verify');
    expect(json.code).toBe(15);
    expect(json.body).toMatchObject({ ok: false, brokenAt: 2 });
  });

  it('the daemon stops cleanly on SIGTERM', async () => {
    const running = daemon as Running;
    running.child.kill('SIGTERM');
    const result = await running.exited;
    expect(result.code, result.stderr).toBe(0);
    expect((await run(dataDir, 'status')).code).toBe(3);
  }, 20_000);
});
