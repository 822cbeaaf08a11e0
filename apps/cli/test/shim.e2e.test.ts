/**
 * End to end: `npm run install-cli` (apps/cli/dist/install-cli.js) puts a `briefcase` shim in a bin
 * dir only when asked; the shim runs this checkout's CLI from any directory; and the CLI's hints
 * name the command the way the person can run it (`briefcase` once the shim is on PATH, the
 * launcher's absolute path when not). Build first: `npx tsc -b apps/cli`.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envFor, MAIN, type Result, ROOT, type Running, startDaemon, startScript, stop } from './support.js';

const INSTALL = join(ROOT, 'apps/cli/dist/install-cli.js');
const LAUNCHER = join(ROOT, 'apps/cli/bin/briefcase.js');
/** A PATH with the basics and none of node_modules/.bin (where npm puts this workspace's briefcase). */
const BASE_PATH = '/usr/bin:/bin';

let root: string;
let bin: string;
let elsewhere: string;
let dataDir: string;
let daemon: Running | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'bc-cli-shim-'));
  bin = join(root, 'bin');
  elsewhere = join(root, 'somewhere', 'else');
  await mkdir(elsewhere, { recursive: true });
  dataDir = join(root, 'data');
});

afterEach(async () => {
  await stop(daemon);
  daemon = undefined;
  await rm(root, { recursive: true, force: true });
});

function install(...args: string[]): Promise<Result> {
  return startScript(INSTALL, ['--bin-dir', bin, ...args], envFor(dataDir, { PATH: BASE_PATH })).exited;
}

describe('npm run install-cli', () => {
  it('writes one executable shim, says how to put its dir on PATH, and replaces or removes only its own', async () => {
    const first = await install();
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`installed: ${join(bin, 'briefcase')}`);
    expect(first.stdout).toContain(`${bin} is not on your PATH`);
    expect(first.stdout).toContain(`export PATH=${bin}:"$PATH"`);
    const shim = join(bin, 'briefcase');
    expect((await stat(shim)).mode & 0o777).toBe(0o755);
    expect(await readFile(shim, 'utf8')).toContain(`exec ${process.execPath} ${LAUNCHER} "$@"`);
    expect((await install()).stdout).toContain('already installed');

    expect((await install('--uninstall')).stdout).toContain(`removed ${shim}`);
    await writeFile(shim, '#!/bin/sh\necho another program\n', { mode: 0o755 });
    const refused = await install();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is not a briefcase shim; not replacing it');
    expect((await install('--uninstall')).code).toBe(1);
    expect(await readFile(shim, 'utf8')).toContain('another program');
    expect((await install('--force')).stdout).toContain('updated');
  }, 40_000);

  it('the shim runs the CLI from another directory, and hints then name `briefcase`', async () => {
    expect((await install()).code).toBe(0);
    daemon = await startDaemon(dataDir);
    const env = envFor(dataDir, { PATH: `${bin}:${BASE_PATH}` });
    const status = await startScript(join(bin, 'briefcase'), ['status'], env, elsewhere).exited;
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^briefcased .* is running/);

    const call = await startScript(
      join(bin, 'briefcase'),
      ['tools', 'call', 'note_add', '--args', '{"text":"x"}'],
      env,
      elsewhere,
    ).exited;
    expect(call.code).toBe(4);
    expect(call.stderr).toMatch(/^approve it: {2}briefcase approvals approve \S+$/m);
    expect(call.stderr).toMatch(/^then retry: {2}briefcase tools call note_add /m);

    // Without the shim on PATH, outside the checkout: the launcher by its absolute path.
    const bare = await startScript(
      MAIN,
      ['tools', 'call', 'note_add', '--args', '{"text":"x"}'],
      envFor(dataDir, { PATH: BASE_PATH }),
      elsewhere,
    ).exited;
    expect(bare.code).toBe(4);
    expect(bare.stderr).toContain(`approve it:  ${process.execPath} ${LAUNCHER} approvals approve `);

    // --help examples name the CLI the same way.
    const help = await startScript(join(bin, 'briefcase'), ['tools', 'call', '--help'], env, elsewhere)
      .exited;
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Examples:\n {2}briefcase tools call echo --args /m);
    const bareHelp = await startScript(MAIN, ['--help'], envFor(dataDir, { PATH: BASE_PATH }), elsewhere)
      .exited;
    expect(bareHelp.stdout).toContain(`  ${process.execPath} ${LAUNCHER} approvals watch`);
  }, 60_000);
});
