import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyReceipts } from '@briefcase/receipts';
import { afterAll, expect, it } from 'vitest';
import { rawRequest } from './support.js';

const MAIN = new URL('../dist/main.js', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'briefcased-crash-'));
const socketPath = join(dataDir, 'briefcased.sock');
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function spawnDaemon(): ChildProcess {
  return spawn(process.execPath, [MAIN, '--data-dir', dataDir], {
    env: { PATH: process.env.PATH, BRIEFCASE_SECRET_BACKEND: 'memory', BRIEFCASE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitForHealth() {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await rawRequest(socketPath, { path: '/health' })).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('daemon did not come up');
}

it('keeps every acknowledged receipt and an intact chain when killed with SIGKILL mid-burst', async () => {
  let daemon = spawnDaemon();
  await waitForHealth();
  const token = readFileSync(join(dataDir, 'agent.token'), 'utf8').trim();
  const admin = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  const acknowledged = new Map<number, string>();
  let stop = false;
  const worker = async (w: number) => {
    for (let i = 0; !stop; i++) {
      try {
        const reply = await rawRequest(socketPath, {
          method: 'POST',
          path: '/v1/tools/call',
          token,
          body: JSON.stringify({ tool: 'echo', args: { text: `w${w}-${i}` } }),
        });
        if (reply.status === 200)
          acknowledged.set(reply.json.provenance.receiptSeq, reply.json.provenance.receiptHash);
      } catch {
        return; // the daemon is gone
      }
    }
  };
  const workers = Array.from({ length: 8 }, (_, w) => worker(w));
  // Kill it in the middle of the burst, once enough calls have been acknowledged.
  while (acknowledged.size < 200) await new Promise((r) => setTimeout(r, 5));
  daemon.kill('SIGKILL');
  stop = true;
  await Promise.all(workers);
  await new Promise((r) => daemon.once('exit', r));
  expect(acknowledged.size).toBeGreaterThanOrEqual(200);

  daemon = spawnDaemon();
  try {
    await waitForHealth();
    const verify = await rawRequest(socketPath, {
      method: 'POST',
      path: '/v1/receipts/verify',
      token: admin,
      body: '{}',
    });
    expect(verify.json.ok).toBe(true);
    const exported = await rawRequest(socketPath, { path: '/v1/receipts/export', token: admin });
    const receipts = exported.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(verifyReceipts(receipts).ok).toBe(true);
    const bySeq = new Map(receipts.map((r: { seq: number; hash: string }) => [r.seq, r.hash]));
    for (const [seq, hash] of acknowledged) expect(bySeq.get(seq), `receipt ${seq}`).toBe(hash);
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
  }
});
