/**
 * End to end: without --data-dir or BRIEFCASE_DATA_DIR, the CLI finds the `.briefcase` of a running
 * `npm start` from the directory it runs in (or an ancestor up to the repository root), says so,
 * and when nothing answers, its error names that `.briefcase`. Build first: `npx tsc -b apps/cli`.
 */
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envFor, MAIN, type Result, type Running, startDaemon, startScript, stop } from './support.js';

let root: string;
let project: string;
let dataDir: string;
let daemon: Running | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'bc-cli-discover-'));
  project = join(root, 'project');
  // The repository root: discovery looks no higher.
  await mkdir(join(project, '.git'), { recursive: true });
  await mkdir(join(project, 'src', 'deep'), { recursive: true });
  dataDir = join(project, '.briefcase');
});

afterEach(async () => {
  await stop(daemon);
  daemon = undefined;
  await rm(root, { recursive: true, force: true });
});

/** The CLI with no data dir configured, its default pointing at an empty XDG dir, run in `cwd`. */
function cliIn(cwd: string, ...args: string[]): Promise<Result> {
  const env = envFor(dataDir, { XDG_DATA_HOME: join(root, 'xdg') });
  delete env.BRIEFCASE_DATA_DIR;
  return startScript(MAIN, args, env, cwd).exited;
}

describe('data dir discovery', () => {
  it('uses the running daemon of a .briefcase in this directory or an ancestor, and says so', async () => {
    daemon = await startDaemon(dataDir);
    for (const cwd of [project, join(project, 'src', 'deep')]) {
      const status = await cliIn(cwd, 'status');
      expect(status.code, status.stderr).toBe(0);
      expect(status.stdout).toMatch(new RegExp(`^data dir +${dataDir}$`, 'm'));
      expect(status.stderr).toContain(`briefcase: using the daemon running for ${dataDir}`);
    }
    // An explicit choice wins, and is not announced.
    const explicit = await cliIn(root, '--data-dir', dataDir, 'status');
    expect(explicit.code).toBe(0);
    expect(explicit.stderr).not.toContain('using the daemon');
  }, 40_000);

  it('when nothing answers, the error names the .briefcase found here and how to choose it', async () => {
    daemon = await startDaemon(dataDir);
    await stop(daemon);
    const result = await cliIn(join(project, 'src'), 'tools', 'list');
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`no admin token at ${join(root, 'xdg', 'briefcase', 'admin.token')}`);
    expect(result.stderr).toContain(`A briefcase data dir exists at ${dataDir}`);
    expect(result.stderr).toContain(`--data-dir ${dataDir}`);
    expect(result.stderr).toContain(`export BRIEFCASE_DATA_DIR=${dataDir}`);
  }, 40_000);

  it('ignores a .briefcase others could have written, and looks no higher than the repository root', async () => {
    daemon = await startDaemon(dataDir);
    await chmod(dataDir, 0o755);
    const loose = await cliIn(project, 'status');
    expect(loose.code).toBe(3);
    expect(loose.stderr).not.toContain(dataDir);
    await chmod(dataDir, 0o700);

    // A checkout below the one holding .briefcase: its own .git ends the walk up.
    const inner = join(project, 'src', 'deep');
    await mkdir(join(inner, '.git'));
    const below = await cliIn(inner, 'status');
    expect(below.code).toBe(3);
    expect(below.stderr).not.toContain(dataDir);
  }, 40_000);
});
