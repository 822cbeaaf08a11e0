/**
 * End to end: how long `npm start`'s gateway holds a call for approval (BRIEFCASE_APPROVAL_WAIT), and
 * what Ctrl-C does to a call that is held. Build first: `npx tsc -b apps/cli`.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEV, envFor, freePort, type Running, startScript, stop } from './support.js';

let dataDir: string;
let launched: Running | undefined;

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-cli-dev-wait-'));
});

afterEach(async () => {
  await stop(launched);
  launched = undefined;
  await rm(dataDir, { recursive: true, force: true });
});

/** The command line of the gateway process `npm start` spawned, once it exists. */
async function gatewayCommandLine(running: Running): Promise<string[]> {
  const pid = running.child.pid;
  const deadline = Date.now() + 25_000;
  for (;;) {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => ''))
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if (children.length > 0) {
      return (await readFile(`/proc/${children[0]}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    }
    if (Date.now() > deadline || running.child.exitCode !== null) {
      throw new Error(`no gateway process:\n${running.output.stdout}\n${running.output.stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start and BRIEFCASE_APPROVAL_WAIT', () => {
  it('passes the wait to the gateway as --approval-wait', async () => {
    const port = await freePort();
    launched = startScript(
      DEV,
      [],
      envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(port), BRIEFCASE_APPROVAL_WAIT: '7.5' }),
    );
    const args = await gatewayCommandLine(launched);
    expect(args.slice(-2)).toEqual(['--approval-wait', '7.5']);
  }, 40_000);

  it('leaves the gateway its default when unset', async () => {
    const port = await freePort();
    const env = envFor(dataDir, { BRIEFCASE_GATEWAY_PORT: String(port) });
    delete env.BRIEFCASE_APPROVAL_WAIT;
    launched = startScript(DEV, [], env);
    expect(await gatewayCommandLine(launched)).not.toContain('--approval-wait');
  }, 40_000);

  it('refuses an invalid wait with exit 2 before starting anything', async () => {
    launched = startScript(DEV, [], envFor(dataDir, { BRIEFCASE_APPROVAL_WAIT: '60s' }));
    const done = await launched.exited;
    expect(done.code).toBe(2);
    expect(done.stderr).toContain(
      'npm start: BRIEFCASE_APPROVAL_WAIT must be a number of seconds from 0 to 120, got "60s"',
    );
    expect(existsSync(join(dataDir, 'briefcase.db'))).toBe(false);
  });
});
