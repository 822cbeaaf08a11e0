/**
 * A broken receipt chain, end to end: a row corrupted with better-sqlite3 behind a real `briefcase
 * daemon`, then what `receipts list`, `status`, tool calls and a restart make of it, per
 * BRIEFCASE_ON_BROKEN_CHAIN. Build first: `npx tsc -b apps/cli`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ErrorOut,
  envFor,
  MAIN,
  type Running,
  run,
  runJson,
  startDaemon,
  startScript,
  stop,
} from './support.js';

let dataDir: string;
let daemon: Running | undefined;

/** Starts `briefcase daemon` with `BRIEFCASE_ON_BROKEN_CHAIN` set, and waits until status answers. */
async function startWith(mode: string): Promise<Running> {
  const started = startScript(MAIN, ['daemon'], envFor(dataDir, { BRIEFCASE_ON_BROKEN_CHAIN: mode }));
  for (;;) {
    if ((await run(dataDir, 'status')).code === 0) return started;
    if (started.child.exitCode !== null) throw new Error(`daemon exited:\n${started.output.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface ChainView {
  ok: boolean;
  brokenAt: number | null;
  callsRefused: boolean;
  onBroken: string;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-chain-e2e-'));
  daemon = await startDaemon(dataDir);
  for (const text of ['one', 'two', 'three']) {
    expect((await run(dataDir, 'tools', 'call', 'echo', '--args', JSON.stringify({ text }))).code).toBe(0);
  }
}, 60_000);

afterAll(async () => {
  await stop(daemon);
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('a corrupt receipt row', () => {
  it('is marked in `receipts list`, which still lists the rest and exits 15', async () => {
    const before = await runJson<{ receipts: { chain: ChainView } }>(dataDir, 'status');
    expect(before.body.receipts.chain).toMatchObject({
      ok: true,
      callsRefused: false,
      onBroken: 'refuse-calls',
    });
    const db = new Database(join(dataDir, 'briefcase.db'));
    try {
      db.pragma('busy_timeout = 5000');
      expect(db.prepare("UPDATE receipts SET body = 'garbage' WHERE seq = 2").run().changes).toBe(1);
    } finally {
      db.close();
    }

    const human = await run(dataDir, 'receipts', 'list');
    expect(human.code).toBe(15);
    expect(human.stdout).toMatch(/^2\s+UNREADABLE \(corrupted\)/m);
    expect(human.stdout).toMatch(/^1\s+\S+\s+policy_update/m);
    expect(human.stdout).toMatch(/^3\s+\S+\s+\S+/m);
    expect(human.stderr).toContain('warning: receipt 2 is corrupted and cannot be read');
    const json = await runJson<{ receipts: { seq: number }[]; unreadable: { seq: number }[] }>(
      dataDir,
      'receipts',
      'list',
    );
    expect(json.code).toBe(15);
    expect(json.body.unreadable).toEqual([{ seq: 2, reason: expect.any(String) }]);
    expect(json.body.receipts.map((r) => r.seq)).not.toContain(2);
    expect(json.body.receipts.map((r) => r.seq)).toContain(1);
  });

  it('shows in `status`, loudly, and tool calls are refused (the default, refuse-calls)', async () => {
    const status = await run(dataDir, 'status');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/receipt chain\s+BROKEN at #2, tool calls refused/);
    expect(status.stderr).toMatch(/warning: The receipt chain is BROKEN at receipt 2/);
    const json = await runJson<{ receipts: { chain: ChainView } }>(dataDir, 'status');
    expect(json.body.receipts.chain).toMatchObject({ ok: false, brokenAt: 2, callsRefused: true });

    const refused = await runJson<ErrorOut & { error: { details?: unknown } }>(
      dataDir,
      'tools',
      'call',
      'echo',
      '--args',
      '{"text":"after"}',
    );
    expect(refused.code).toBe(5);
    expect(refused.body.error).toMatchObject({
      code: 'denied',
      details: { deniedBy: 'receipts', brokenAt: 2 },
    });
    const human = await run(dataDir, 'tools', 'call', 'echo', '--args', '{"text":"after"}');
    expect(human.stderr).toMatch(/^error\[denied\]: The receipt log is damaged/);
    expect(human.stderr).toMatch(/^hint: The receipt chain is broken/m);
  });

  it('is a marked hole in `receipts export`, which carries every other receipt; verify --file names it', async () => {
    const file = join(dataDir, 'export.ndjson');
    const exported = await run(dataDir, 'receipts', 'export', '--out', file);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[1]).toEqual({ unreadable: { seq: 2, reason: 'receipt 2 is corrupted and cannot be read' } });
    const seqs = lines.filter((line) => typeof line.seq === 'number').map((line) => line.seq);
    expect(seqs[0]).toBe(1);
    expect(seqs).toContain(3);
    expect(seqs).not.toContain(2);
    expect(typeof lines.at(-1).signedHead).toBe('string');

    const head = await runJson<{ key: unknown }>(dataDir, 'receipts', 'head');
    const keyFile = join(dataDir, 'receipts-key.jwk');
    await writeFile(keyFile, JSON.stringify(head.body.key));
    const verified = await run(dataDir, 'receipts', 'verify', '--file', file, '--key', `@${keyFile}`);
    expect(verified.code).toBe(15);
    expect(verified.stdout + verified.stderr).toMatch(
      /broken at receipt 2: the row was corrupted in the log when it was exported/,
    );
  });

  it('is found at startup: logged, refused calls, and refuse-start or warn as configured', async () => {
    await stop(daemon);
    daemon = undefined;

    const refusing = startScript(
      MAIN,
      ['daemon'],
      envFor(dataDir, { BRIEFCASE_ON_BROKEN_CHAIN: 'refuse-start' }),
    );
    const result = await refusing.exited;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/receipt chain is broken at receipt 2/);
    expect((await run(dataDir, 'status')).code).toBe(3);

    daemon = await startWith('refuse-calls');
    await daemon.waitFor('stdout', /BROKEN at receipt 2/);
    const json = await runJson<{ receipts: { chain: ChainView } }>(dataDir, 'status');
    expect(json.body.receipts.chain).toMatchObject({ ok: false, brokenAt: 2, callsRefused: true });
    expect((await run(dataDir, 'tools', 'call', 'echo', '--args', '{"text":"x"}')).code).toBe(5);
    await stop(daemon);

    // warn: the person accepted the break; calls run (and are receipted after it), status still says so.
    daemon = await startWith('warn');
    await daemon.waitFor('stdout', /BROKEN at receipt 2/);
    expect((await run(dataDir, 'tools', 'call', 'echo', '--args', '{"text":"y"}')).code).toBe(0);
    const warned = await run(dataDir, 'status');
    expect(warned.stdout).toMatch(/receipt chain\s+BROKEN at #2 \(BRIEFCASE_ON_BROKEN_CHAIN=warn\)/);
    expect(warned.stderr).toMatch(/Calls still run/);
    expect((await run(dataDir, 'receipts', 'verify')).code).toBe(15);
  }, 60_000);

  it('refuses an unknown BRIEFCASE_ON_BROKEN_CHAIN rather than guessing', async () => {
    await stop(daemon);
    daemon = undefined;
    const typo = await startScript(MAIN, ['daemon'], envFor(dataDir, { BRIEFCASE_ON_BROKEN_CHAIN: 'warm' }))
      .exited;
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/BRIEFCASE_ON_BROKEN_CHAIN must be/);
  });
});
