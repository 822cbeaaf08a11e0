#!/usr/bin/env node
// Benchmarks for the trusted core. Results are written as JSON under bench/results/.
// Run with `npm run bench`. Numbers are medians/percentiles over many iterations, never assertions.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { canonicalHash } from '@briefcase/core';
import { checkBudget, compilePolicy, DEFAULT_POLICY, decideCall, scoreRisk } from '@briefcase/policy';
import { openReceiptLog, RECEIPTS_SCHEMA_SQL } from '@briefcase/receipts';
import Database from 'better-sqlite3';
// Stage internals are not part of the daemon's public API; the benchmark measures them directly.
import { redactResult } from '../apps/briefcased/dist/pipeline/redact.js';
import { compileArgsSchema, validateArgs } from '../apps/briefcased/dist/pipeline/validate.js';

const quick = process.argv.includes('--quick');
const N_LATENCY = quick ? 1000 : 5000;
const SUSTAIN_MS = quick ? 2000 : 5000;
const N_VERIFY = quick ? 20_000 : 100_000;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
function summary(samples) {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: round(pct(s, 0.5)),
    p95: round(pct(s, 0.95)),
    p99: round(pct(s, 0.99)),
    max: round(s.at(-1)),
  };
}
function timeEach(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn(i);
    out.push((performance.now() - t) * 1000);
  }
  return summary(out); // microseconds
}

// ---------- the daemon over its socket ----------
const dataDir = mkdtempSync(join(tmpdir(), 'briefcase-bench-'));
const socketPath = join(dataDir, 'briefcased.sock');
const daemon = spawn(process.execPath, ['apps/briefcased/dist/main.js', '--data-dir', dataDir], {
  env: { PATH: process.env.PATH, BRIEFCASE_SECRET_BACKEND: 'memory', BRIEFCASE_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
// The daemon dies with the benchmark, even when it fails half way.
process.on('exit', () => daemon.kill());
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function call(path, body, token) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        agent,
        path,
        method: body ? 'POST' : 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}
for (let i = 0; ; i++) {
  try {
    if ((await call('/health', undefined, '')).status === 200) break;
  } catch {}
  if (i > 400) throw new Error('daemon did not start');
  await new Promise((r) => setTimeout(r, 25));
}
const token = readFileSync(join(dataDir, 'agent.token'), 'utf8').trim();
const echoBody = JSON.stringify({ tool: 'echo', args: { text: 'benchmark' } });

async function latency(path, body, n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await call(path, body, token);
    out.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`unexpected ${r.status}: ${r.body}`);
  }
  return summary(out); // milliseconds
}
await latency('/v1/tools/call', echoBody, 300); // warm-up: JIT, WASM, SQLite page cache
const healthRoundTrip = await latency('/health', undefined, N_LATENCY);
const echoCall = await latency('/v1/tools/call', echoBody, N_LATENCY);

async function sustained(concurrency) {
  let done = 0;
  const end = performance.now() + SUSTAIN_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const r = await call('/v1/tools/call', echoBody, token);
        if (r.status !== 200) throw new Error(`unexpected ${r.status}`);
        done++;
      }
    }),
  );
  return round(done / (SUSTAIN_MS / 1000), 0);
}
const callsPerSecondSerial = await sustained(1);
const callsPerSecondConcurrent = await sustained(16);
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
agent.destroy();

// ---------- pipeline stages in isolation (microseconds) ----------
const validator = compileArgsSchema({
  type: 'object',
  properties: { text: { type: 'string', maxLength: 4096 } },
  required: ['text'],
  additionalProperties: false,
});
const compiled = compilePolicy(DEFAULT_POLICY);
if (!compiled.ok) throw new Error('default policy does not compile');
const request1 = {
  agent: 'default',
  tool: { name: 'echo', category: 'utility', effect: 'read', costMicroUsd: 0, source: 'builtin' },
  context: { costMicroUsd: 0, argsBytes: 20, firstUse: false },
};
const history = { previousCalls: 10, medianArgsBytes: 20, maxCostMicroUsd: 0 };
const stages = {
  validate_us: timeEach(20_000, () => validateArgs('echo', validator, { text: 'benchmark' })),
  args_hash_us: timeEach(20_000, () => canonicalHash({ text: 'benchmark' })),
  decide_us: timeEach(20_000, () =>
    decideCall({
      policy: compiled.policy,
      request: request1,
      budget: checkBudget(undefined, { spentTodayMicroUsd: 0, spentThisMonthMicroUsd: 0 }, 0),
      risk: scoreRisk({ tool: { name: 'echo', costMicroUsd: 0 }, argsBytes: 20, costMicroUsd: 0, history }),
      riskThreshold: 60,
      budgetOverrun: 'approve',
    }),
  ),
  redact_us: timeEach(20_000, () => redactResult('echo', { text: 'benchmark' }, ['text'], 262_144)),
};

function receiptDb(file, sync) {
  for (const s of ['', '-wal', '-shm']) rmSync(file + s, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync}`);
  db.exec(RECEIPTS_SCHEMA_SQL);
  return db;
}
const event = (i) => ({
  kind: 'tool_call',
  agent: 'default',
  tool: 'echo',
  source: { kind: 'builtin' },
  argsHash: canonicalHash({ text: `call ${i}` }),
  argsBytes: 20,
  decision: 'allow',
  reasons: [
    { stage: 'policy', id: 'permit-reads-without-approval', message: 'read tools run without approval' },
  ],
  approvalId: null,
  costMicroUsd: 0,
  outcome: 'ok',
  errorCode: null,
  redactions: 0,
  durationMs: 0.4,
});
const durability = {};
for (const sync of ['FULL', 'NORMAL']) {
  const db = receiptDb(join(dataDir, `append-${sync}.db`), sync);
  const log = openReceiptLog(db);
  durability[`receipt_append_${sync.toLowerCase()}_us`] = timeEach(quick ? 1000 : 3000, (i) =>
    log.append(event(i)),
  );
  db.close();
}

// ---------- receipt-chain verification ----------
const vdb = receiptDb(join(dataDir, 'verify.db'), 'OFF');
const vlog = openReceiptLog(vdb);
vdb.transaction(() => {
  for (let i = 0; i < N_VERIFY; i++) vlog.append(event(i));
})();
const verifyRuns = [];
for (let r = 0; r < 3; r++) {
  const t = performance.now();
  const result = vlog.verify();
  verifyRuns.push(performance.now() - t);
  if (!result.ok) throw new Error(`verification failed: ${result.reason}`);
}
vdb.close();
const verifyMs = summary(verifyRuns).p50;

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  quick,
  socket_call_latency_ms: { health_round_trip: healthRoundTrip, echo_tool_call: echoCall },
  added_latency_p50_ms: round(echoCall.p50 - healthRoundTrip.p50),
  calls_per_second: { serial: callsPerSecondSerial, concurrency_16: callsPerSecondConcurrent },
  stages_us: { ...stages, ...durability },
  durable_commit_cost_us_p50: round(
    durability.receipt_append_full_us.p50 - durability.receipt_append_normal_us.p50,
  ),
  verify: {
    receipts: N_VERIFY,
    ms_p50: round(verifyMs, 1),
    receipts_per_second: round((N_VERIFY / verifyMs) * 1000, 0),
  },
  goals: { p95_ms_max: 2, calls_per_second_min: 1000, verify_per_second_min: 200_000 },
};
rmSync(dataDir, { recursive: true, force: true });
mkdirSync('bench/results', { recursive: true });
const text = `${JSON.stringify(results, null, 2)}\n`;
writeFileSync('bench/results/latest.json', text);
writeFileSync(`bench/results/${results.date.replace(/[:.]/g, '-')}.json`, text);
process.stdout.write(text);
