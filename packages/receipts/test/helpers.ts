import { openReceiptLog, RECEIPTS_SCHEMA_SQL, type ReceiptEvent, type ReceiptLog } from '@briefcase/receipts';
import Database from 'better-sqlite3';

/** A fresh in-memory database with the receipts schema, and a log over it. */
export function openMemoryLog(): { db: Database.Database; log: ReceiptLog } {
  const db = new Database(':memory:');
  db.exec(RECEIPTS_SCHEMA_SQL);
  return { db, log: openReceiptLog(db) };
}

/** A deterministic, realistic tool_call event. */
export function toolCallEvent(i: number): ReceiptEvent {
  return {
    kind: 'tool_call',
    tool: i % 2 === 0 ? 'notes.search' : 'payments.send',
    argsHash: i.toString(16).padStart(64, 'a'),
    decision: i % 3 === 0 ? 'approval_required' : 'allow',
    reasons: [{ stage: 'policy', id: `rule-${i}`, message: 'Allowed by the default policy.' }],
    approvalId: i % 3 === 0 ? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}` : null,
    costMicroUsd: 1000 + i,
    outcome: 'ok',
    errorCode: null,
  };
}

/** Timestamp of receipt `i` in test chains: one second apart. */
export function clock(i: number): Date {
  return new Date(Date.UTC(2025, 0, 1) + i * 1000);
}

/** Appends `n` tool_call receipts (seq 1..n). */
export function buildChain(log: ReceiptLog, n: number): void {
  for (let i = 1; i <= n; i++) log.append(toolCallEvent(i), clock(i));
}

/** Row access for tampering. */
export interface RawRow {
  seq: number;
  ts: string;
  kind: string;
  body: string;
  hash: string;
}

export function readRow(db: Database.Database, seq: number): RawRow {
  const row = db
    .prepare<[number], RawRow>('SELECT seq, ts, kind, body, hash FROM receipts WHERE seq = ?')
    .get(seq);
  if (row === undefined) throw new Error(`no row ${seq}`);
  return row;
}
