/**
 * Helpers for the CLI's end-to-end tests: the built `briefcase` CLI (and `npm start`'s launcher) as
 * subprocesses, each against a real briefcased in a temp data dir with the in-memory secret backend.
 * Build first: `npx tsc -b apps/cli`.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const MAIN = join(ROOT, 'apps/cli/dist/main.js');
export const DEV = join(ROOT, 'apps/cli/dist/dev.js');
export const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A process whose output we can wait on while it runs. */
export interface Running {
  child: ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  exited: Promise<Result>;
  /** Resolves with the first match of `pattern` in the stream, or rejects after `ms`. */
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

export function envFor(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // This workspace's `briefcase` on PATH (as after `npm run install-cli`), so hints name it `briefcase`.
    PATH: `${join(ROOT, 'node_modules/.bin')}${delimiter}${process.env.PATH ?? ''}`,
    BRIEFCASE_DATA_DIR: dataDir,
    BRIEFCASE_SECRET_BACKEND: 'memory',
    NO_COLOR: '1',
    ...extra,
  };
}

/** Starts `node <script> ...args` in the repository root (or `cwd`). */
export function startScript(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Running {
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npx tsc -b apps/cli\` first`);
  const child = spawn(
    script.endsWith('.js') ? process.execPath : script,
    script.endsWith('.js') ? [script, ...args] : args,
    { env, cwd },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  const exited = new Promise<Result>((resolveExit) =>
    child.on('close', (code) => resolveExit({ code, stdout: output.stdout, stderr: output.stderr })),
  );
  const waitFor = async (stream: 'stdout' | 'stderr', pattern: RegExp, ms = 15_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = output[stream].match(pattern);
      if (match !== null) return match;
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(
          `no ${pattern} on ${stream} (exit ${child.exitCode}):\n${output.stdout}\n${output.stderr}`,
        );
      }
      await delay(25);
    }
  };
  return { child, output, exited, waitFor };
}

/** Starts the CLI. */
export function start(dataDir: string, args: string[]): Running {
  return startScript(MAIN, args, envFor(dataDir));
}

/** Runs the CLI to completion. */
export function run(dataDir: string, ...args: string[]): Promise<Result> {
  return start(dataDir, args).exited;
}

/** Runs the CLI with --json and parses stdout. */
export async function runJson<T = Record<string, unknown>>(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number | null; body: T; stderr: string }> {
  const result = await run(dataDir, '--json', ...args);
  try {
    return { code: result.code, body: JSON.parse(result.stdout) as T, stderr: result.stderr };
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
  }
}

/** The CLI's JSON error body. */
export interface ErrorOut {
  error: { code: string; message: string; approval_id?: string };
}

/** Starts `briefcase daemon` and waits until `briefcase status` succeeds. */
export async function startDaemon(dataDir: string): Promise<Running> {
  const daemon = start(dataDir, ['daemon']);
  const deadline = Date.now() + 25_000;
  for (;;) {
    const status = await run(dataDir, 'status');
    if (status.code === 0) return daemon;
    if (Date.now() > deadline || daemon.child.exitCode !== null) {
      throw new Error(`briefcased did not come up:\n${daemon.output.stderr}\n${status.stderr}`);
    }
    await delay(200);
  }
}

/** Kills a process that is still running and waits for it. */
export async function stop(running: Running | undefined): Promise<void> {
  if (running === undefined || running.child.exitCode !== null || running.child.signalCode !== null) return;
  running.child.kill('SIGKILL');
  await running.exited;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const address = server.address();
  await new Promise((resolveClose) => server.close(resolveClose));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}
