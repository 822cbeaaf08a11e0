// Benchmark (not a test): builds a 100,000-receipt log of realistic tool_call receipts in a
// temporary WAL database, then times verify() and single autocommit appends.
// Run: npx tsc -b packages/receipts && node packages/receipts/bench/verify.mjs [receipts]
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeReceiptHash, openReceiptLog, RECEIPTS_SCHEMA_SQL } from '@briefcase/receipts';
import Database from 'better-sqlite3';

const RECEIPTS = Number(process.argv[2] ?? 100_000);
const VERIFY_RUNS = 5;
const APPEND_SAMPLES = 1000;

const TOOLS = ['notes.search', 'notes.create', 'payments.send', 'http.fetch', 'calendar.list'];
const REASONS = [
  { stage: 'policy', id: 'default-allow-read', message: 'Read-only tools are allowed by default.' },
  { stage: 'budget', id: 'budget:daily:notes', message: 'Within the daily notes budget (12% used).' },
  { stage: 'risk', id: 'risk:first_use', message: 'First use of this tool in this session.' },
  { stage: 'approval', id: 'approval:consumed', message: 'A person approved this exact call.' },
];

function randomInt(n) {
  return Math.floor(Math.random() * n);
}

function toolCallEvent() {
  const decision = ['allow', 'allow', 'allow', 'deny', 'approval_required'][randomInt(5)];
  const failed = decision === 'allow' && Math.random() < 0.1;
  const reasons = [REASONS[randomInt(REASONS.length)]];
  if (Math.random() < 0.5) reasons.push(REASONS[randomInt(REASONS.length)]);
  return {
    kind: 'tool_call',
    tool: TOOLS[randomInt(TOOLS.length)],
    argsHash: randomBytes(32).toString('hex'),
    decision,
    reasons,
    approvalId: Math.random() < 0.3 ? randomUUID() : null,
    costMicroUsd: randomInt(50_000),
    outcome: decision !== 'allow' ? 'denied' : failed ? 'error' : 'ok',
    errorCode: decision === 'deny' ? 'denied' : failed ? 'upstream_error' : null,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function appendP50(log, db, synchronous) {
  db.pragma(`synchronous = ${synchronous}`);
  const samples = [];
  for (let i = 0; i < APPEND_SAMPLES; i++) {
    const event = toolCallEvent();
    const start = process.hrtime.bigint();
    log.append(event);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return Math.round(median(samples) * 10) / 10;
}

const dir = mkdtempSync(join(tmpdir(), 'receipts-bench-'));
try {
  const db = new Database(join(dir, 'receipts.db'));
  db.pragma('journal_mode = WAL');
  db.exec(RECEIPTS_SCHEMA_SQL);
  const log = openReceiptLog(db);

  // Bulk build through the public append(), batched in caller transactions (fast to build).
  let ms = Date.UTC(2025, 0, 1);
  const batch = db.transaction((n) => {
    for (let i = 0; i < n; i++) {
      ms += 1234;
      log.append(toolCallEvent(), new Date(ms));
    }
  });
  for (let done = 0; done < RECEIPTS; done += 10_000) batch(Math.min(10_000, RECEIPTS - done));

  const sample = log.get(1);
  if (sample.hash !== computeReceiptHash(sample)) throw new Error('hash mismatch in sample');
  const avgBodyBytes = db.prepare('SELECT avg(length(CAST(body AS BLOB))) FROM receipts').pluck().get();

  // The machine may be shared: record CPU time too (wall time includes waiting for a core).
  const runs = [];
  const cpuRuns = [];
  for (let r = 0; r < VERIFY_RUNS; r++) {
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = log.verify();
    runs.push(Number(process.hrtime.bigint() - start) / 1e6);
    const cpu = process.cpuUsage(cpuStart);
    cpuRuns.push((cpu.user + cpu.system) / 1000);
    if (!result.ok || result.count !== RECEIPTS) throw new Error(`verify failed: ${JSON.stringify(result)}`);
  }
  const verifyMs = median(runs);

  const appendFull = appendP50(log, db, 'FULL');
  const appendNormal = appendP50(log, db, 'NORMAL');
  db.close();

  console.log(
    JSON.stringify({
      receipts: RECEIPTS,
      verify_ms: Math.round(verifyMs * 10) / 10,
      receipts_per_s: Math.round((RECEIPTS / verifyMs) * 1000),
      append_us_p50: appendFull,
      append_us_p50_normal: appendNormal,
      verify_ms_runs: runs.map((v) => Math.round(v * 10) / 10),
      verify_cpu_ms: Math.round(median(cpuRuns) * 10) / 10,
      load_average_1m: Math.round(loadavg()[0] * 100) / 100,
      avg_body_bytes: Math.round(avgBodyBytes),
      append_samples: APPEND_SAMPLES,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
