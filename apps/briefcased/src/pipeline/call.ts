import { performance } from 'node:perf_hooks';
import { type Approval, BriefcaseError, type CallOutcome, isBriefcaseError } from '@briefcase/core';
import { type CompiledPolicy, isBudgetDenial, type PolicyDecision } from '@briefcase/policy';
import type { ReceiptLog } from '@briefcase/receipts';
import { getTracer, withSpan } from '@briefcase/telemetry';
import type { ApprovalStore } from '../db/approvals.js';
import type { BudgetStore } from '../db/budgets.js';
import { createGroupCommit } from '../db/group-commit.js';
import type { Db } from '../db/open.js';
import type { ToolStatsStore } from '../db/stats.js';
import type { ApprovalEvents } from '../events.js';
import type { ChannelBinding } from '../mcp/channels.js';
import type { RegisteredTool, ToolRegistry } from '../tools/registry.js';
import type { ToolContext } from '../tools/types.js';
import { type ApprovalRequestDeps, requestApproval, resolveApproval } from './approve.js';
import {
  type AttemptLedger,
  type Caller,
  elapsedMs,
  MAX_NAME_IN_RECEIPT,
  newAttempt,
  recordFailure,
  writeIntent,
  writeReceipt,
} from './attempt.js';
import { type DecideDeps, decide } from './decide.js';
import { runTransactional, runWithTimeout } from './execute.js';
import { lookupTool } from './lookup.js';
import { approvalError, denialMessage, RECEIPT_WRITE_FAILED } from './messages.js';
import { redactResult } from './redact.js';
import type { PipelineSettings } from './settings.js';
import { type ValidatedArgs, validateArgs } from './validate.js';

export type { Caller } from './attempt.js';

const tracer = getTracer('briefcased.pipeline');

/** Everything the pipeline reads and writes; owned by the daemon. */
export interface PipelineDeps {
  db: Db;
  registry: ToolRegistry;
  receipts: ReceiptLog;
  approvals: ApprovalStore;
  budgets: BudgetStore;
  stats: ToolStatsStore;
  events: ApprovalEvents;
  policy: () => CompiledPolicy;
  settings: PipelineSettings;
  clock?: () => Date;
  /** Secret values the daemon handed to tools (e.g. stdio servers' `--env`), scrubbed from every result. */
  knownSecrets?: () => readonly string[];
}

/** A call as the agent sent it: every field is untrusted until validated. */
export interface CallRequest {
  tool: unknown;
  args?: unknown;
  approvalId?: unknown;
  /** Set by the route (never from the agent's body as is): the session's channel, checked to exist. */
  binding?: ChannelBinding;
  /** Set by the route: aborts when the caller went away; a running tool is cancelled (remote: `notifications/cancelled`). */
  signal?: AbortSignal;
}

/** A successful call: the redacted result, and where it came from and what it cost. */
export interface CallResult {
  result: unknown;
  provenance: {
    tool: string;
    source: { kind: string; server?: string };
    receiptSeq: number;
    receiptHash: string;
    costMicroUsd: number;
    approvalId: string | null;
    redactions: number;
    durationMs: number;
  };
}

/**
 * The call pipeline: lookup → validate → decide (policy, budget, risk) → approve → execute →
 * redact → receipt. Every attempt, whatever its fate, ends in exactly one receipt; a result is
 * returned only after its receipt is durably written.
 */
export function createPipeline(deps: PipelineDeps) {
  const { db, registry, receipts, approvals, budgets, stats, events, settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  const ledger: AttemptLedger = { db, receipts, approvals, clock };
  const decideDeps: DecideDeps = { budgets, stats, policy: deps.policy, settings };
  const approvalRequests: ApprovalRequestDeps = { approvals, events, settings };
  /** Approvals being used by a call in flight: never handed to a second, concurrent call. */
  const claimed = new Set<string>();
  /** Budget reserved by calls in flight, so concurrent calls cannot overrun a cap together. */
  const reserved = new Map<string, number>();
  /** Receipts of calls finishing in the same event-loop turn share one durable COMMIT. */
  const commit = createGroupCommit(db);

  /** Runs `work` in the shared durable commit; a failing COMMIT means nothing was recorded. */
  const durably = <T>(work: () => T): Promise<T> =>
    commit.run(work).catch((error: unknown) => {
      throw isBriefcaseError(error)
        ? error
        : new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause: error });
    });

  /** Runs one tool call through the whole pipeline. Throws a BriefcaseError carrying `details.receiptSeq`. */
  async function callTool(request: CallRequest, caller: Caller): Promise<CallResult> {
    const t0 = performance.now();
    const now = clock();
    const nowMs = now.getTime();
    const attempt = newAttempt(
      caller,
      typeof request.tool === 'string' ? request.tool.slice(0, MAX_NAME_IN_RECEIPT) : '',
    );
    /** Records this attempt as failed and returns the error to throw. */
    const fail = (outcome: CallOutcome, error: BriefcaseError) =>
      recordFailure(ledger, attempt, outcome, error, t0);

    return withSpan(tracer, 'briefcase.call_tool', { 'briefcase.tool': attempt.tool }, async (span) => {
      // 1. lookup + 2. validate
      let tool: RegisteredTool;
      let validated: ValidatedArgs;
      try {
        tool = withSpan(tracer, 'briefcase.lookup', {}, () => lookupTool(registry, request.tool));
        attempt.source = { ...tool.definition.source };
        validated = withSpan(tracer, 'briefcase.validate', {}, () =>
          validateArgs(tool.definition.name, tool.validateArgs, request.args),
        );
        attempt.argsHash = validated.argsHash;
        attempt.argsBytes = validated.argsBytes;
        if (
          request.approvalId !== undefined &&
          (typeof request.approvalId !== 'string' || request.approvalId.length > 64)
        ) {
          throw new BriefcaseError('invalid_args', 'approvalId must be the id string of an approval.');
        }
      } catch (error) {
        const e = isBriefcaseError(error)
          ? error
          : new BriefcaseError('invalid_args', 'The request is malformed.');
        throw fail('invalid', e);
      }
      const def = tool.definition;

      // 3. decide — synchronous from here to the reservation, so no other call can interleave.
      let decision: PolicyDecision;
      try {
        decision = withSpan(tracer, 'briefcase.decide', {}, () =>
          decide(decideDeps, {
            tool: def,
            caller,
            argsBytes: validated.argsBytes,
            nowMs,
            reservedMicroUsd: reserved.get(def.category) ?? 0,
          }),
        );
      } catch {
        // Fail closed: an evaluation problem is a denial, never an allow.
        attempt.decision = 'deny';
        attempt.reasons = [{ stage: 'policy', id: 'evaluation_error', message: 'policy evaluation failed' }];
        throw fail(
          'denied',
          new BriefcaseError(
            'denied',
            'Policy evaluation failed, so the call is denied. Check the policy with `briefcase policy validate`.',
          ),
        );
      }
      attempt.decision = decision.kind;
      attempt.reasons = decision.reasons;
      span.setAttribute('briefcase.decision', decision.kind);
      if (decision.kind === 'deny') {
        const budget = isBudgetDenial(decision);
        throw fail(
          'denied',
          new BriefcaseError(
            budget ? 'budget_exceeded' : 'denied',
            denialMessage(def.name, decision.reasons, budget),
          ),
        );
      }

      // 4. approve
      let approvalUsed: Approval | undefined;
      if (decision.kind === 'approval_required') {
        const resolution = withSpan(tracer, 'briefcase.approve', {}, () =>
          resolveApproval(
            approvals,
            {
              tool: def.name,
              argsHash: validated.argsHash,
              approvalId: request.approvalId as string | undefined,
            },
            nowMs,
            claimed,
          ),
        );
        switch (resolution.kind) {
          case 'use':
            approvalUsed = resolution.approval;
            break;
          case 'mismatch':
            throw fail(
              'denied',
              new BriefcaseError(
                'denied',
                'The approval id given does not exist or does not cover this tool with these exact arguments.',
              ),
            );
          case 'denied':
            attempt.approvalId = resolution.approval.id;
            throw fail(
              'denied',
              new BriefcaseError(
                'denied',
                `A person denied this call${resolution.approval.denyReason ? `: ${resolution.approval.denyReason}` : ''}. Do not retry it unchanged before ${resolution.approval.expiresAt}.`,
              ),
            );
          case 'pending':
            attempt.approvalId = resolution.approval.id;
            throw fail('approval_required', approvalError(resolution.approval, false));
          case 'none': {
            let approval: Approval;
            try {
              approval = requestApproval(
                approvalRequests,
                def,
                validated.args,
                validated.argsHash,
                decision.reasons,
                nowMs,
              );
            } catch {
              throw fail(
                'failed',
                new BriefcaseError('internal_error', 'The approval request could not be stored.'),
              );
            }
            attempt.approvalId = approval.id;
            throw fail('approval_required', approvalError(approval, true));
          }
        }
      }

      // 5. execute + redact + 6. receipt
      attempt.approvalId = approvalUsed?.id ?? null;
      if (approvalUsed) claimed.add(approvalUsed.id);
      reserved.set(def.category, (reserved.get(def.category) ?? 0) + def.costMicroUsd);
      const controller = new AbortController();
      // The caller cancelled (for MCP: the agent sent notifications/cancelled): stop the tool too.
      request.signal?.addEventListener('abort', () => controller.abort(), { once: true });
      if (request.signal?.aborted) controller.abort();
      const ctx: ToolContext = {
        db,
        now,
        signal: controller.signal,
        ...(request.binding ? { binding: request.binding } : {}),
        setReceiptAuth: (auth) => {
          attempt.auth = auth;
        },
      };

      const finish = (result: unknown) => {
        const redacted = withSpan(tracer, 'briefcase.redact', {}, () =>
          redactResult(
            def.name,
            result,
            def.outputAllowlist,
            settings.maxResultBytes,
            deps.knownSecrets?.() ?? [],
          ),
        );
        const durationMs = elapsedMs(t0);
        try {
          const receipt = writeReceipt(
            receipts,
            attempt,
            'ok',
            null,
            { costMicroUsd: def.costMicroUsd, durationMs, redactions: redacted.redactions },
            clock(),
          );
          budgets.record(def.category, def.costMicroUsd, nowMs, receipt.seq);
          stats.recordSuccess(def.name, validated.argsBytes, def.costMicroUsd);
          if (approvalUsed) approvals.consume(approvalUsed.id, Date.now(), receipt.seq);
          return { redacted, receipt, durationMs };
        } catch (cause) {
          // Thrown inside the transaction: the tool's own database effects roll back with it.
          throw new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause });
        }
      };

      try {
        const done = await withSpan(
          tracer,
          'briefcase.execute',
          { 'briefcase.mode': tool.executor.mode },
          async () => {
            if (tool.executor.mode === 'transactional') {
              const run = tool.executor.run;
              return durably(() => finish(runTransactional(def.name, run, validated.args, ctx)));
            }
            if (tool.executor.mode === 'external') {
              // Intent first: a call whose receipt cannot be written never starts. The approval is
              // used up here, not after the call: the outside effect may happen even if we crash.
              // It shares the group commit with other calls' receipts and is durable before we go on.
              await durably(() => writeIntent(ledger, attempt, approvalUsed));
            }
            const result = await runWithTimeout(tool, validated.args, ctx, settings.toolTimeoutMs);
            return durably(() => finish(result));
          },
        );
        if (approvalUsed) {
          const consumed = approvals.get(approvalUsed.id);
          if (consumed) events.emit({ type: 'consumed', approval: consumed });
        }
        span.setAttribute('briefcase.outcome', 'ok');
        return {
          result: done.redacted.value,
          provenance: {
            tool: def.name,
            source: attempt.source,
            receiptSeq: done.receipt.seq,
            receiptHash: done.receipt.hash,
            costMicroUsd: def.costMicroUsd,
            approvalId: attempt.approvalId,
            redactions: done.redacted.redactions,
            durationMs: done.durationMs,
          },
        };
      } catch (error) {
        controller.abort();
        span.setAttribute('briefcase.outcome', 'failed');
        const e = isBriefcaseError(error)
          ? error
          : new BriefcaseError('upstream_error', `${def.name} failed while running; see the daemon log.`);
        const failed = fail('failed', e);
        if (approvalUsed) {
          const consumed = approvals.get(approvalUsed.id);
          if (consumed?.state === 'consumed') events.emit({ type: 'consumed', approval: consumed });
        }
        throw failed;
      } finally {
        if (approvalUsed) claimed.delete(approvalUsed.id);
        const left = (reserved.get(def.category) ?? 0) - def.costMicroUsd;
        if (left > 0) reserved.set(def.category, left);
        else reserved.delete(def.category);
      }
    });
  }

  /** Records an attempt that never got as far as a parsed request (malformed JSON, oversized body). */
  function recordRejectedAttempt(caller: Caller, error: BriefcaseError): BriefcaseError {
    return recordFailure(ledger, newAttempt(caller, ''), 'invalid', error, performance.now());
  }

  return { callTool, recordRejectedAttempt };
}

/** The pipeline the API calls into: `callTool`, and `recordRejectedAttempt` for unparseable calls. */
export type Pipeline = ReturnType<typeof createPipeline>;
