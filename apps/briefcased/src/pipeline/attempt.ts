import { performance } from 'node:perf_hooks';
import {
  type Approval,
  BriefcaseError,
  type CallOutcome,
  type DecisionKind,
  type DecisionReason,
  type ErrorCode,
} from '@briefcase/core';
import type { ReceiptLog } from '@briefcase/receipts';
import type { ApprovalStore } from '../db/approvals.js';
import type { Db } from '../db/open.js';
import { RECEIPT_WRITE_FAILED } from './messages.js';

/** Who is calling a tool. */
export interface Caller {
  role: 'admin' | 'agent';
  /** Which agent is calling; the principal of the Cedar request. */
  agent: string;
}

/** The fields of a tool_call receipt that the pipeline fills in as it learns them. */
export interface Attempt {
  agent: string;
  tool: string;
  source: { kind: string; server?: string };
  argsHash: string | null;
  argsBytes: number;
  decision: DecisionKind | null;
  reasons: DecisionReason[];
  approvalId: string | null;
  /** How the tool authenticated upstream (OAuth with DPoP or bearer, scopes), when it did. */
  auth?: { method: string; scope: string | null };
}

/** Longest tool name a receipt records; a longer name is not a tool's. */
export const MAX_NAME_IN_RECEIPT = 256;

/** What is known of an attempt before lookup: who calls, and the name they asked for. */
export const newAttempt = (caller: Caller, tool: string): Attempt => ({
  agent: caller.agent,
  tool,
  source: { kind: 'unknown' },
  argsHash: null,
  argsBytes: 0,
  decision: null,
  reasons: [],
  approvalId: null,
});

/** Milliseconds since `t0` (a `performance.now()` reading), to the microsecond. */
export const elapsedMs = (t0: number) => Math.round((performance.now() - t0) * 1000) / 1000;

/** Where attempts are recorded: the receipt log, and the approvals a receipt may use up. */
export interface AttemptLedger {
  db: Db;
  receipts: ReceiptLog;
  approvals: ApprovalStore;
  clock: () => Date;
}

/** Appends the tool_call receipt of `attempt`; the caller owns the transaction around it. */
export function writeReceipt(
  receipts: ReceiptLog,
  attempt: Attempt,
  outcome: CallOutcome,
  errorCode: ErrorCode | null,
  extra: { costMicroUsd?: number; durationMs: number; redactions?: number },
  now: Date,
) {
  return receipts.append(
    {
      kind: 'tool_call',
      agent: attempt.agent,
      tool: attempt.tool,
      source: attempt.source,
      argsHash: attempt.argsHash,
      argsBytes: attempt.argsBytes,
      decision: attempt.decision,
      reasons: attempt.reasons.map(({ stage, id, message }) => ({ stage, id, message })),
      approvalId: attempt.approvalId,
      costMicroUsd: extra.costMicroUsd ?? 0,
      outcome,
      errorCode,
      redactions: extra.redactions ?? 0,
      durationMs: extra.durationMs,
      ...(attempt.auth ? { auth: { method: attempt.auth.method, scope: attempt.auth.scope } } : {}),
    },
    now,
  );
}

/** Records a failed attempt and returns the error to throw, with the receipt's sequence attached. */
export function recordFailure(
  ledger: AttemptLedger,
  attempt: Attempt,
  outcome: CallOutcome,
  error: BriefcaseError,
  t0: number,
): BriefcaseError {
  const { db, receipts, approvals, clock } = ledger;
  const durationMs = elapsedMs(t0);
  let seq: number;
  try {
    seq = db.transaction(() => {
      const receipt = writeReceipt(receipts, attempt, outcome, error.code, { durationMs }, clock());
      if (attempt.approvalId && outcome === 'failed')
        approvals.consume(attempt.approvalId, Date.now(), receipt.seq);
      return receipt.seq;
    })();
  } catch (cause) {
    return new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause });
  }
  const details =
    error.details !== null && typeof error.details === 'object'
      ? { ...(error.details as object), receiptSeq: seq }
      : { receiptSeq: seq };
  return new BriefcaseError(error.code, error.message, {
    details,
    ...(error.approvalId ? { approvalId: error.approvalId } : {}),
  });
}

/**
 * Writes the tool_call_intent receipt of an external call and uses up its approval; the caller runs it
 * in a durable commit and maps a failure to `internal_error`, so the call never starts unrecorded.
 */
export function writeIntent(ledger: AttemptLedger, attempt: Attempt, approvalUsed: Approval | undefined) {
  const { receipts, approvals, clock } = ledger;
  const intent = receipts.append(
    {
      kind: 'tool_call_intent',
      agent: attempt.agent,
      tool: attempt.tool,
      source: attempt.source,
      argsHash: attempt.argsHash,
      approvalId: attempt.approvalId,
    },
    clock(),
  );
  if (approvalUsed) approvals.consume(approvalUsed.id, Date.now(), intent.seq);
}
