#!/usr/bin/env node
// MCP round trips for one trivial tool (server-everything `echo`), all on loopback, in one run:
//   (a) SDK client → upstream server directly
//   (b) SDK client → a plain forwarding proxy (no enforcement) → upstream
//   (c) SDK client → briefcase gateway → briefcased (full pipeline, durable receipts) → upstream
// Writes bench/results/mcp-latest.json. `--quick` runs fewer iterations.
// Opt-in diagnostics (results are then not written to bench/results):
//   BENCH_CPU_PROF=DIR   run briefcased and the gateway under `node --cpu-prof`, profiles into DIR
//   BENCH_ONLY=a,b,c     run only some of the targets
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient } from '@briefcase/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const quick = process.argv.includes('--quick');
const N = quick ? 300 : 2000;
const SUSTAIN_MS = quick ? 2000 : 5000;
const EVERYTHING = new URL(
  '../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
  import.meta.url,
).pathname;

const cpuProfDir = process.env.BENCH_CPU_PROF;
const only = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
const diagnostic = cpuProfDir !== undefined || only !== undefined;
/** Node flags for the briefcase processes: profiling only when asked for. */
const profFlags = (name) =>
  cpuProfDir === undefined
    ? []
    : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, `--cpu-prof-name=${name}.cpuprofile`];

const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (s, p) => s[Math.min(s.length - 1, Math.floor(s.length * p))];
const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: round(pct(s, 0.5)), p95: round(pct(s, 0.95)), p99: round(pct(s, 0.99)) };
};
const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// Upstream: the official example server over Streamable HTTP.
const upstreamPort = await freePort();
const upstream = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
  env: { PATH: process.env.PATH, PORT: String(upstreamPort) },
  stdio: ['ignore', 'ignore', 'pipe'],
});
// Child processes die with the benchmark, even when it fails half way.
const children = [upstream];
process.on('exit', () => {
  for (const child of children) child.kill();
});
await new Promise((resolve) =>
  upstream.stderr.on('data', (c) => String(c).includes('listening') && resolve()),
);
const upstreamUrl = `http://127.0.0.1:${upstreamPort}/mcp`;

// The SDK's HTTP client transport hands one connection-wide AbortSignal to every fetch, and Node 20's
// fetch leaves a listener on it per request until GC; over thousands of calls that crashes the run.
// Every client here (a, b and c alike) gets the same per-request signal, so the comparison stays fair.
const isolatedFetch = async (input, init = {}) => {
  const own = new AbortController();
  const forward = () => own.abort(init.signal?.reason);
  init.signal?.addEventListener('abort', forward, { once: true });
  try {
    const response = await fetch(input, { ...init, signal: own.signal });
    const body = await response.arrayBuffer();
    return new Response(response.status === 202 || response.status === 204 ? null : body, response);
  } finally {
    init.signal?.removeEventListener('abort', forward);
  }
};

async function connect(url, headers = {}) {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers }, fetch: isolatedFetch }),
  );
  return client;
}

// (b) A plain forwarding proxy: one upstream session, no checks, no receipts.
const proxyUpstream = await connect(upstreamUrl);
const sessions = new Map();
const proxy = createServer(async (req, res) => {
  const id = req.headers['mcp-session-id'];
  let transport = typeof id === 'string' ? sessions.get(id) : undefined;
  if (!transport) {
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (sid) => sessions.set(sid, transport),
    });
    const server = new Server({ name: 'plain-proxy', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => proxyUpstream.listTools());
    server.setRequestHandler(CallToolRequestSchema, (request) => proxyUpstream.callTool(request.params));
    await server.connect(transport);
  }
  await transport.handleRequest(req, res);
});
const proxyPort = await freePort();
await new Promise((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));

// (c) The briefcase, deployed as it runs: briefcased and the HTTP gateway as separate processes
// (durable receipts on).
const dataDir = mkdtempSync(join(tmpdir(), 'briefcase-mcp-bench-'));
const env = {
  PATH: process.env.PATH,
  BRIEFCASE_DATA_DIR: dataDir,
  BRIEFCASE_SECRET_BACKEND: 'memory',
  BRIEFCASE_LOG_LEVEL: 'warn',
};
const daemon = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_DAEMON_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
    ...profFlags('briefcased'),
    'apps/briefcased/dist/main.js',
    '--data-dir',
    dataDir,
  ],
  {
    env,
    // The daemon's stderr goes to a file, printed if the run fails: a crash must not go unseen.
    stdio: ['ignore', 'ignore', openSync(join(dataDir, 'briefcased.stderr'), 'w')],
  },
);
children.push(daemon);
process.on('exit', (code) => {
  if (code === 0) return;
  try {
    const tail = readFileSync(join(dataDir, 'briefcased.stderr'), 'utf8').slice(-4000);
    if (tail.trim() !== '') process.stderr.write(`\n--- briefcased stderr (tail) ---\n${tail}\n`);
  } catch {
    // nothing to show
  }
});
while (!existsSync(join(dataDir, 'briefcased.sock'))) await new Promise((r) => setTimeout(r, 25));
const admin = createClient({ dataDir, role: 'admin' });
for (let i = 0; ; i++) {
  try {
    await admin.health();
    break;
  } catch (error) {
    if (i > 200) throw error;
    await new Promise((r) => setTimeout(r, 25));
  }
}
// Trusting the server's read-only hints lets `echo` run without approval, as a read.
await admin.addMcpServer({ name: 'everything', url: upstreamUrl, trustAnnotations: true });
const gatewayPort = await freePort();
const gateway = spawn(
  process.execPath,
  [...profFlags('gateway'), 'apps/gateway/dist/main.js', '--http', `127.0.0.1:${gatewayPort}`],
  {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
children.push(gateway);
await new Promise((resolve) =>
  gateway.stderr.on('data', (c) => String(c).includes('MCP endpoint') && resolve()),
);
const gatewayToken = readFileSync(join(dataDir, 'gateway.token'), 'utf8').trim();
const gatewayUrl = `http://127.0.0.1:${gatewayPort}/mcp`;

/**
 * CPU time (user + system, ms) a child process has used so far, from /proc (Linux); null elsewhere.
 * Per-call CPU is far steadier than latency on a shared machine, so it shows what a change saved.
 */
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux platform Node supports
function cpuMsOf(child) {
  try {
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}
const cpuReaders = {
  bench: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
  upstream: () => cpuMsOf(upstream),
  briefcased: () => cpuMsOf(daemon),
  gateway: () => cpuMsOf(gateway),
};
const readCpu = () => Object.fromEntries(Object.entries(cpuReaders).map(([k, read]) => [k, read()]));

const targets = {
  a_direct: { client: await connect(upstreamUrl), tool: 'echo' },
  b_plain_proxy: { client: await connect(`http://127.0.0.1:${proxyPort}/mcp`), tool: 'echo' },
  c_briefcase: {
    client: await connect(gatewayUrl, { authorization: `Bearer ${gatewayToken}` }),
    tool: 'everything__echo',
  },
};

const results = {};
for (const [name, { client, tool }] of Object.entries(targets)) {
  if (only !== undefined && !only.includes(name[0])) continue;
  process.stderr.write(`bench: ${name}\n`);
  const call = () => client.callTool({ name: tool, arguments: { message: 'bench' } });
  for (let i = 0; i < 100; i++) await call();
  const times = [];
  const cpuBefore = readCpu();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const r = await call();
    times.push(performance.now() - t);
    if (r.isError) throw new Error(`${name}: ${JSON.stringify(r)}`);
  }
  const cpuAfter = readCpu();
  const cpuPerCall = {};
  for (const [process_, before] of Object.entries(cpuBefore)) {
    const after = cpuAfter[process_];
    if (before !== null && after !== null && after > before)
      cpuPerCall[process_] = round((after - before) / N);
  }
  let done = 0;
  const end = performance.now() + SUSTAIN_MS;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < end) {
        await call();
        done++;
      }
    }),
  );
  results[name] = {
    latency_ms: summary(times),
    // CPU per sequential call of each process that did any work for it (bench includes the client,
    // and for b the in-process proxy).
    cpu_ms_per_call: cpuPerCall,
    calls_per_second_8_clients: round(done / (SUSTAIN_MS / 1000), 0),
  };
}

const a = results.a_direct?.latency_ms;
const b = results.b_plain_proxy?.latency_ms;
const c = results.c_briefcase?.latency_ms;
const report = {
  date: new Date().toISOString(),
  quick,
  ...(diagnostic ? { diagnostic: { cpuProfDir: cpuProfDir ?? null, only: only ?? null } } : {}),
  ...results,
  ...(a && c ? { c_over_a: { p50_ratio: round(c.p50 / a.p50, 2), p95_added_ms: round(c.p95 - a.p95) } } : {}),
  ...(b && c ? { c_over_b: { p50_ratio: round(c.p50 / b.p50, 2), p95_ratio: round(c.p95 / b.p95, 2) } } : {}),
  goals: { p95_added_ms_max: 2, c_over_b_max: 1.5 },
};

for (const { client } of Object.values(targets)) await client.close();
await proxyUpstream.close();
// Both exit cleanly on SIGTERM, which is also when `--cpu-prof` writes its profile.
const exited = (child) => new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
gateway.kill('SIGTERM');
daemon.kill('SIGTERM');
await Promise.all([exited(daemon), exited(gateway)]);
proxy.close();
upstream.kill();
rmSync(dataDir, { recursive: true, force: true });
const text = `${JSON.stringify(report, null, 2)}\n`;
// A diagnostic run (profiled, or partial) is not a result.
if (!diagnostic) {
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/mcp-latest.json', text);
}
process.stdout.write(text);
process.exit(0);
