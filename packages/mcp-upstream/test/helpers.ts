import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createUpstreamPool,
  type UpstreamLogLevel,
  type UpstreamPool,
  type UpstreamPoolOptions,
  type UpstreamServerConfig,
} from '@briefcase/mcp-upstream';
import { afterEach } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.join(here, 'fixtures');
export const EVERYTHING = path.join(
  path.dirname(
    createRequire(import.meta.url).resolve('@modelcontextprotocol/server-everything/package.json'),
  ),
  'dist/index.js',
);
const LOOPBACK_ONLY = pathToFileURL(path.join(FIXTURES, 'loopback-only.mjs')).href;

const tempDirs: string[] = [];
/** A fresh empty directory, removed by {@link removeTempDirs}. */
export function makeTempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-upstream-test-'));
  tempDirs.push(dir);
  return dir;
}
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** stdio config for a fixture script (or server-everything when `script` is EVERYTHING). */
export function stdioConfig(
  name: string,
  script: string,
  args: string[] = [],
  extra: Partial<UpstreamServerConfig> = {},
): UpstreamServerConfig {
  const file = path.isAbsolute(script) ? script : path.join(FIXTURES, script);
  return {
    name,
    transport: 'stdio',
    command: [process.execPath, file, ...args],
    cwd: makeTempDir(),
    ...extra,
  };
}

/** Collects pool log entries. */
export function logRecorder(): {
  entries: Array<{ level: UpstreamLogLevel; msg: string; fields: Record<string, unknown> }>;
  log: (level: UpstreamLogLevel, msg: string, fields: Record<string, unknown>) => void;
} {
  const entries: Array<{ level: UpstreamLogLevel; msg: string; fields: Record<string, unknown> }> = [];
  return { entries, log: (level, msg, fields) => entries.push({ level, msg, fields }) };
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A spawned server process, stopped with `stop()`. */
export interface ServerProcess {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start; output: ${seen.slice(-500)}`)),
      15_000,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}; output: ${seen.slice(-500)}`));
    });
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
}

/** Starts a fixture that prints `LISTENING <port>`. */
export async function startHttpFixture(script: string, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(FIXTURES, script), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const match = await waitForOutput(child, /LISTENING (\d+)/, script);
  return { port: Number(match[1]), child, stop: stopper(child) };
}

/** Starts server-everything over `streamableHttp` or `sse` on a free loopback port (PORT env). */
export async function startEverythingHttp(
  mode: 'streamableHttp' | 'sse',
  fixedPort?: number,
): Promise<ServerProcess> {
  const port = fixedPort ?? (await freePort());
  const child = spawn(process.execPath, ['--import', LOOPBACK_ONLY, EVERYTHING, mode], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForOutput(child, /listening on port|running on port/i, `server-everything ${mode}`);
  return { port, child, stop: stopper(child) };
}

/**
 * An HTTP proxy in front of a real server that counts JSON-RPC `initialize` requests, i.e. how many
 * MCP sessions a client opened through it.
 */
export async function startCountingProxy(targetPort: number): Promise<{
  port: number;
  initializeRequests: () => number;
  close: () => Promise<void>;
}> {
  let initializeRequests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && body.length > 0) {
        try {
          const message = JSON.parse(body.toString()) as { method?: string };
          if (message.method === 'initialize') initializeRequests += 1;
        } catch {
          // not JSON: forward as is
        }
      }
      const upstream = http.request(
        { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          res.flushHeaders();
          upstreamRes.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    initializeRequests: () => initializeRequests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Live (non-zombie) child processes of this test process whose command line contains `needle`. */
export function liveChildrenMatching(needle: string, parentPid = process.pid): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [state, ppid] = fields;
      if (Number(ppid) !== parentPid || state === 'Z') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return pids;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Text of the first content block of a tool result. */
export function firstText(result: { content: unknown[] }): string {
  const block = result.content[0] as { type?: string; text?: string } | undefined;
  if (block?.type !== 'text' || typeof block.text !== 'string')
    throw new Error('first content block is not text');
  return block.text;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A pool factory for one test file: every pool it made is closed after each test. */
export function trackedPools(): (options?: UpstreamPoolOptions) => UpstreamPool {
  const pools: UpstreamPool[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.close()));
  });
  return (options = {}) => {
    const pool = createUpstreamPool(options);
    pools.push(pool);
    return pool;
  };
}
