import { randomUUID } from 'node:crypto';
import type { Approval, ApprovalState, DecisionReason } from '@briefcase/core';
import type { Db } from './open.js';

interface ApprovalRow {
  id: string;
  tool: string;
  args_hash: string;
  summary: string;
  cost_micro_usd: number;
  reasons_json: string;
  state: ApprovalState;
  created_at_ms: number;
  expires_at_ms: number;
  decided_at_ms: number | null;
  decided_by: string | null;
  deny_reason: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toApproval(row: ApprovalRow): Approval {
  return {
    id: row.id,
    tool: row.tool,
    argsHash: row.args_hash,
    summary: row.summary,
    costMicroUsd: row.cost_micro_usd,
    reasons: JSON.parse(row.reasons_json) as DecisionReason[],
    state: row.state,
    createdAt: new Date(row.created_at_ms).toISOString(),
    expiresAt: new Date(row.expires_at_ms).toISOString(),
    decidedAt: iso(row.decided_at_ms),
    decidedBy: row.decided_by,
    denyReason: row.deny_reason,
  };
}

export interface NewApproval {
  tool: string;
  argsHash: string;
  summary: string;
  costMicroUsd: number;
  reasons: DecisionReason[];
}

/** Approval requests: single-use permission for one tool with one exact set of arguments. */
export interface ApprovalStore {
  create(request: NewApproval, nowMs: number, ttlMs: number): Approval;
  get(id: string): Approval | undefined;
  /** The newest approval for this exact call that has not been consumed or expired, if any. */
  findLive(tool: string, argsHash: string, nowMs: number): Approval | undefined;
  list(state: ApprovalState | 'all', limit: number): Approval[];
  /** pending → approved/denied. Returns undefined when the approval is not pending (or expired). */
  decide(
    id: string,
    decision: 'approved' | 'denied',
    by: string,
    nowMs: number,
    reason?: string,
  ): Approval | undefined;
  /** approved → consumed. Returns false when it was not approved (anymore). */
  consume(id: string, nowMs: number, receiptSeq: number): boolean;
  /** Marks every pending or approved approval past its expiry as expired and returns them. */
  expireDue(nowMs: number): Approval[];
  /** Whether {@link ApprovalStore.expireDue} would expire anything: a cheap check before opening a commit. */
  hasDue(nowMs: number): boolean;
  /** pending → expired now, whatever its expiry. Returns undefined when it is not pending (anymore). */
  withdraw(id: string): Approval | undefined;
  countPending(nowMs: number): number;
}

export function createApprovalStore(db: Db): ApprovalStore {
  const insert = db.prepare(
    `INSERT INTO approvals (id, tool, args_hash, summary, cost_micro_usd, reasons_json, state, created_at_ms, expires_at_ms)
     VALUES (@id, @tool, @args_hash, @summary, @cost_micro_usd, @reasons_json, 'pending', @created_at_ms, @expires_at_ms)`,
  );
  const byId = db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE id = ?');
  const live = db.prepare<[string, string, number], ApprovalRow>(
    `SELECT * FROM approvals WHERE tool = ? AND args_hash = ? AND state IN ('pending','approved','denied')
       AND expires_at_ms > ? ORDER BY created_at_ms DESC LIMIT 1`,
  );
  const listAll = db.prepare<[number], ApprovalRow>(
    'SELECT * FROM approvals ORDER BY created_at_ms DESC, rowid DESC LIMIT ?',
  );
  const listState = db.prepare<[string, number], ApprovalRow>(
    'SELECT * FROM approvals WHERE state = ? ORDER BY created_at_ms DESC, rowid DESC LIMIT ?',
  );
  const decide = db.prepare(
    `UPDATE approvals SET state = @state, decided_at_ms = @now, decided_by = @by, deny_reason = @reason
       WHERE id = @id AND state = 'pending' AND expires_at_ms > @now`,
  );
  const consume = db.prepare(
    `UPDATE approvals SET state = 'consumed', consumed_at_ms = @now, consumed_receipt_seq = @seq
       WHERE id = @id AND state = 'approved' AND expires_at_ms > @now`,
  );
  const expire = db.prepare<[number], ApprovalRow>(
    `UPDATE approvals SET state = 'expired' WHERE state IN ('pending','approved') AND expires_at_ms <= ? RETURNING *`,
  );
  const due = db.prepare<[number], { n: number }>(
    `SELECT EXISTS (SELECT 1 FROM approvals WHERE state IN ('pending','approved') AND expires_at_ms <= ?) AS n`,
  );
  const withdraw = db.prepare<[string], ApprovalRow>(
    `UPDATE approvals SET state = 'expired' WHERE id = ? AND state = 'pending' RETURNING *`,
  );
  const pending = db.prepare<[number], { n: number }>(
    `SELECT count(*) AS n FROM approvals WHERE state = 'pending' AND expires_at_ms > ?`,
  );

  return {
    create(request, nowMs, ttlMs) {
      const id = randomUUID();
      insert.run({
        id,
        tool: request.tool,
        args_hash: request.argsHash,
        summary: request.summary,
        cost_micro_usd: request.costMicroUsd,
        reasons_json: JSON.stringify(request.reasons),
        created_at_ms: nowMs,
        expires_at_ms: nowMs + ttlMs,
      });
      return toApproval(byId.get(id) as ApprovalRow);
    },
    get(id) {
      const row = byId.get(id);
      return row && toApproval(row);
    },
    findLive(tool, argsHash, nowMs) {
      const row = live.get(tool, argsHash, nowMs);
      return row && toApproval(row);
    },
    list(state, limit) {
      const rows = state === 'all' ? listAll.all(limit) : listState.all(state, limit);
      return rows.map(toApproval);
    },
    decide(id, decision, by, nowMs, reason) {
      const changed = decide.run({ id, state: decision, now: nowMs, by, reason: reason ?? null }).changes;
      return changed === 1 ? toApproval(byId.get(id) as ApprovalRow) : undefined;
    },
    consume(id, nowMs, receiptSeq) {
      return consume.run({ id, now: nowMs, seq: receiptSeq }).changes === 1;
    },
    expireDue(nowMs) {
      return expire.all(nowMs).map(toApproval);
    },
    hasDue(nowMs) {
      return (due.get(nowMs) as { n: number }).n === 1;
    },
    withdraw(id) {
      const row = withdraw.get(id);
      return row && toApproval(row);
    },
    countPending(nowMs) {
      return (pending.get(nowMs) as { n: number }).n;
    },
  };
}
