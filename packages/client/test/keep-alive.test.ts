/**
 * Connection reuse to the daemon: requests share a kept-alive Unix-socket connection, the client (not
 * the daemon) closes it once idle, and an idle connection never keeps a short-lived process alive.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { IDLE_CONNECTION_MS, readBody, send } from '../src/transport.js';

let dataDir: string;
let socketPath: string;
let server: Server;
let sockets: Socket[];

beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bc-keepalive-'));
  socketPath = join(dataDir, 'briefcased.sock');
  await writeFile(join(dataDir, 'admin.token'), 'tok_abcdefghijklmnopqrstuv\n', { mode: 0o600 });
  sockets = [];
  server = createServer((req, res) => {
    req.resume();
    const body = req.url === '/health' ? '{"status":"ok","version":"test"}' : '{"ok":true}';
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });
  // Like the daemon: the server would keep an idle connection far longer than the client does.
  server.keepAliveTimeout = 60_000;
  server.on('connection', (socket: Socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dataDir, { recursive: true, force: true });
});

const endpoint = () => ({ socketPath, dataDir });

async function roundTrip(): Promise<unknown> {
  const res = await send(endpoint(), { method: 'POST', path: '/v1/tools/call', body: { tool: 'x' } });
  return JSON.parse((await readBody(res, 1024, endpoint())).toString('utf8'));
}

it('sends consecutive requests over one connection', async () => {
  for (let i = 0; i < 5; i++) expect(await roundTrip()).toEqual({ ok: true });
  expect(sockets).toHaveLength(1);
});

it('opens a connection per concurrent request and reuses them afterwards', async () => {
  await Promise.all([roundTrip(), roundTrip(), roundTrip()]);
  expect(sockets).toHaveLength(3);
  await Promise.all([roundTrip(), roundTrip(), roundTrip()]);
  expect(sockets).toHaveLength(3);
});

it('closes an idle connection itself, long before the server would', async () => {
  await roundTrip();
  const [socket] = sockets;
  const closedAt = new Promise<number>((resolve) => socket?.once('close', () => resolve(Date.now())));
  const idleSince = Date.now();
  // The server only closes after 60 s, so a close within a few seconds came from the client.
  const closed = await Promise.race([closedAt, new Promise<null>((r) => setTimeout(() => r(null), 15_000))]);
  expect(closed).not.toBeNull();
  expect((closed as number) - idleSince).toBeGreaterThanOrEqual(IDLE_CONNECTION_MS - 100);
  // A later request simply opens a new connection.
  expect(await roundTrip()).toEqual({ ok: true });
  expect(sockets).toHaveLength(2);
}, 20_000);

it('lets a short-lived process exit while its connection is idle', async () => {
  const script = `
    const { createClient } = await import('@briefcase/client');
    await createClient({ dataDir: ${JSON.stringify(dataDir)} }).health();
    process.stdout.write('done\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let doneAt = 0;
  child.stdout.on('data', (chunk) => {
    if (String(chunk).includes('done')) doneAt = Date.now();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  expect(doneAt).toBeGreaterThan(0);
  // Had the idle connection been ref'd, the process would live on until the client closed it.
  expect(Date.now() - doneAt).toBeLessThan(IDLE_CONNECTION_MS);
  expect(sockets).toHaveLength(1);
});
