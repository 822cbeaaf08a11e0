import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type DaemonOptions, type RunningDaemon, startDaemon } from '@briefcase/briefcased';
import pino from 'pino';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test helper returns parsed JSON of any shape
  json: any;
}

/** A raw HTTP request over the daemon's Unix socket: tests need to send bytes a client never would. */
export function rawRequest(
  socketPath: string,
  options: {
    method?: string;
    path: string;
    token?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
  },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const req = httpRequest(
      // No pooled sockets: a test may restart the daemon on the same socket path.
      { socketPath, path: options.path, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface TestDaemon {
  daemon: RunningDaemon;
  dataDir: string;
  admin: string;
  agent: string;
  /** Every log line the daemon wrote. */
  logs: string[];
  /** Every response body seen through `call`/`api`. */
  seen: string[];
  api(method: string, path: string, body?: unknown, token?: string): Promise<Reply>;
  call(tool: string, args?: unknown, extra?: Record<string, unknown>, token?: string): Promise<Reply>;
  stop(): Promise<void>;
}

/** Starts an in-process daemon on a fresh temp data dir with memory secrets and a captured log. */
export async function startTestDaemon(options: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'briefcased-test-'));
  const logs: string[] = [];
  const seen: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const daemon = await startDaemon({
    dataDir,
    secretBackend: 'memory',
    env: {},
    logger: pino({ level: 'debug' }, sink),
    ...options,
  });
  const admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const agent = readFileSync(join(dataDir, 'agent.token'), 'utf8').trim();
  const api = async (method: string, path: string, body?: unknown, token = admin) => {
    const reply = await rawRequest(daemon.socketPath, {
      method,
      path,
      token,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    seen.push(reply.text);
    return reply;
  };
  return {
    daemon,
    dataDir,
    admin,
    agent,
    logs,
    seen,
    api,
    call: (tool, args, extra = {}, token) =>
      api(
        'POST',
        '/v1/tools/call',
        { tool, ...(args !== undefined ? { args } : {}), ...extra },
        token ?? agent,
      ),
    async stop() {
      await daemon.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
