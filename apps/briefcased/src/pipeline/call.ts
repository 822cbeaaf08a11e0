import { performance } from 'node:perf_hooks';
import {
  type Approval,
  BriefcaseError,
  type CallOutcome,
  type DecisionKind,
  type DecisionReason,
  type ErrorCode,
  isBriefcaseError,
} from '@briefcase/core';
import { type CompiledPolicy, checkBudget, decideCall, isBudgetDenial, scoreRisk } from '@briefcase/policy';
import type { ReceiptLog } from '@briefcase/receipts';
import { getTracer, withSpan } from '@briefcase/telemetry';
import type { ApprovalStore } from '../db/approvals.js';
import type { BudgetStore } from '../db/budgets.js';
import { createGroupCommit } from '../db/group-commit.js';
import type { Db } from '../db/open.js';
import type { ToolStatsStore } from '../db/stats.js';
import type { ApprovalEvents } from '../events.js';
import type { RegisteredTool, ToolRegistry } from '../tools/registry.js';
import type { ToolContext } from '../tools/types.js';
import { resolveApproval, summarizeCall } from './approve.js';
import { redactResult, scrubString } from './redact.js';
import { validateArgs } from './validate.js';

const tracer = getTracer('briefcased.pipeline');

/** Tunables of the pipeline; defaults in `DEFAULT_PIPELINE_SETTINGS`. */
export interface PipelineSettings {
  approvalTtlMs: number;
  riskThreshold: number;
  budgetOverrun: 'approve' | 'deny';
  maxResultBytes: number;
  toolTimeoutMs: number;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  approvalTtlMs: 10 * 60_000,
  riskThreshold: 60,
  budgetOverrun: 'approve',
  maxResultBytes: 256 * 1024,
  toolTimeoutMs: 30_000,
};

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
}

/** A call as the agent sent it: every field is untrusted until validated. */
export interface CallRequest {
  tool: unknown;
  args?: unknown;
  approvalId?: unknown;
}

export interface Caller {
  role: 'admin' | 'agent';
  /** Which agent is calling; the principal of the Cedar request. */
  agent: string;
}

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

/** The fields of a tool_call receipt that the pipeline fills in as it learns them. */
interface Attempt {
  agent: string;
  tool: string;
  source: { kind: string; server?: string };
  argsHash: string | null;
  argsBytes: number;
  decision: DecisionKind | null;
  reasons: DecisionReason[];
  approvalId: string | null;
}

const MAX_NAME_IN_RECEIPT = 256;

/** What is known of an attempt before lookup: who calls, and the name they asked for. */
const newAttempt = (caller: Caller, tool: string): Attempt => ({
  agent: caller.agent,
  tool,
  source: { kind: 'unknown' },
  argsHash: null,
  argsBytes: 0,
  decision: null,
  reasons: [],
  approvalId: null,
});
const SUMMARY_ARGS_CHARS = 600;
const RECEIPT_WRITE_FAILED =
  'The receipt for this call could not be written, so the call did not happen. Check the disk and the daemon log.';
const printableName = (name: string) => JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/**
 * The call pipeline: lookup → validate → decide (policy, budget, risk) → approve → execute →
 * redact → receipt. Every attempt, whatever its fate, ends in exactly one receipt; a result is
 * returned only after its receipt is durably written.
 */
export function createPipeline(deps: PipelineDeps) {
  const { db, registry, receipts, approvals, budgets, stats, events, settings } = deps;
  const clock = deps.clock ?? (() => new Date());
  /** Approvals being used by a call in flight: never handed to a second, concurrent call. */
  const claimed = new Set<string>();
  /** Budget reserved by calls in flight, so concurrent calls cannot overrun a cap together. */
  const reserved = new Map<string, number>();
  /** Receipts of calls finishing in the same event-loop turn share one durable COMMIT. */
  const commit = createGroupCommit(db);

  function writeReceipt(
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
      },
      now,
    );
  }

  /** Records a failed attempt and returns the error to throw, with the receipt's sequence attached. */
  function failure(
    attempt: Attempt,
    outcome: CallOutcome,
    error: BriefcaseError,
    t0: number,
  ): BriefcaseError {
    const durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
    let seq: number;
    try {
      seq = db.transaction(() => {
        const receipt = writeReceipt(attempt, outcome, error.code, { durationMs }, clock());
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

  function lookup(name: unknown): RegisteredTool {
    if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_IN_RECEIPT) {
      throw new BriefcaseError(
        'invalid_args',
        'The request must name a tool: a non-empty string of at most 256 characters.',
      );
    }
    const tool = registry.get(name);
    if (!tool) {
      throw new BriefcaseError(
        'not_found',
        `No tool is named ${printableName(name)}. List the available tools with \`briefcase tools list\`.`,
      );
    }
    return tool;
  }

  function decide(tool: RegisteredTool, caller: Caller, argsBytes: number, nowMs: number) {
    const def = tool.definition;
    const spend = budgets.spend(def.category, nowMs);
    const inFlight = reserved.get(def.category) ?? 0;
    const budget = checkBudget(
      budgets.cap(def.category),
      {
        spentTodayMicroUsd: spend.spentTodayMicroUsd + inFlight,
        spentThisMonthMicroUsd: spend.spentThisMonthMicroUsd + inFlight,
      },
      def.costMicroUsd,
    );
    const history = stats.history(def.name);
    const risk = scoreRisk({
      tool: { name: def.name, costMicroUsd: def.costMicroUsd },
      argsBytes,
      costMicroUsd: def.costMicroUsd,
      history,
    });
    return decideCall({
      policy: deps.policy(),
      request: {
        agent: caller.agent,
        tool: {
          name: def.name,
          category: def.category,
          effect: def.effect,
          costMicroUsd: def.costMicroUsd,
          source: def.source.kind,
          ...(def.source.server !== undefined ? { server: def.source.server } : {}),
        },
        context: { costMicroUsd: def.costMicroUsd, argsBytes, firstUse: history.previousCalls === 0 },
      },
      budget,
      risk,
      riskThreshold: settings.riskThreshold,
      budgetOverrun: settings.budgetOverrun,
    });
  }

  function denialMessage(tool: string, reasons: DecisionReason[], budget: boolean): string {
    const why = reasons.map((r) => r.message).join('; ') || 'no policy permits this call';
    return budget
      ? `${tool} is over budget: ${why}. Raise the cap with \`briefcase budgets set\` or wait for the window to reset.`
      : `Policy denies ${tool}: ${why}. If this is wrong, review the policy with \`briefcase policy show\`.`;
  }

  function requestApproval(
    tool: RegisteredTool,
    args: Record<string, unknown>,
    argsHash: string,
    reasons: DecisionReason[],
    nowMs: number,
  ): Approval {
    const preview = JSON.stringify(args);
    // The person deciding must know when they are not seeing everything.
    const clipped =
      preview.length > SUMMARY_ARGS_CHARS
        ? `${preview.slice(0, SUMMARY_ARGS_CHARS)}… (only the first ${SUMMARY_ARGS_CHARS} of ${preview.length} characters shown)`
        : preview;
    const approval = approvals.create(
      {
        tool: tool.definition.name,
        argsHash,
        summary: summarizeCall(tool.definition, scrubString(clipped).text),
        costMicroUsd: tool.definition.costMicroUsd,
        reasons,
      },
      nowMs,
      settings.approvalTtlMs,
    );
    events.emit({ type: 'created', approval });
    return approval;
  }

  function approvalError(approval: Approval, fresh: boolean): BriefcaseError {
    const why = approval.reasons.map((r) => r.message).join('; ');
    return new BriefcaseError(
      'approval_required',
      `${approval.tool} needs a person's approval (${why}). ${fresh ? 'A request was created' : 'The request is still pending'}: approve it with \`briefcase approvals approve ${approval.id}\` before ${approval.expiresAt}, then repeat the same call.`,
      { approvalId: approval.id, details: { approval } },
    );
  }

  async function execute(tool: RegisteredTool, args: Record<string, unknown>, ctx: ToolContext) {
    const exec = tool.executor;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new BriefcaseError('upstream_error', `${tool.definition.name} did not answer in time.`)),
        settings.toolTimeoutMs,
      );
    });
    try {
      return await Promise.race([Promise.resolve().then(() => exec.run(args, ctx)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one tool call through the whole pipeline. Throws a BriefcaseError carrying `details.receiptSeq`. */
  async function callTool(request: CallRequest, caller: Caller): Promise<CallResult> {
    const t0 = performance.now();
    const now = clock();
    const nowMs = now.getTime();
    const attempt = newAttempt(
      caller,
      typeof request.tool === 'string' ? request.tool.slice(0, MAX_NAME_IN_RECEIPT) : '',
    );

    return withSpan(tracer, 'briefcase.call_tool', { 'briefcase.tool': attempt.tool }, async (span) => {
      // 1. lookup + 2. validate
      let tool: RegisteredTool;
      let validated: ReturnType<typeof validateArgs>;
      try {
        tool = withSpan(tracer, 'briefcase.lookup', {}, () => lookup(request.tool));
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
        throw failure(attempt, 'invalid', e, t0);
      }
      const def = tool.definition;

      // 3. decide — synchronous from here to the reservation, so no other call can interleave.
      let decision: ReturnType<typeof decide>;
      try {
        decision = withSpan(tracer, 'briefcase.decide', {}, () =>
          decide(tool, caller, validated.argsBytes, nowMs),
        );
      } catch {
        // Fail closed: an evaluation problem is a denial, never an allow.
        attempt.decision = 'deny';
        attempt.reasons = [{ stage: 'policy', id: 'evaluation_error', message: 'policy evaluation failed' }];
        throw failure(
          attempt,
          'denied',
          new BriefcaseError(
            'denied',
            'Policy evaluation failed, so the call is denied. Check the policy with `briefcase policy validate`.',
          ),
          t0,
        );
      }
      attempt.decision = decision.kind;
      attempt.reasons = decision.reasons;
      span.setAttribute('briefcase.decision', decision.kind);
      if (decision.kind === 'deny') {
        const budget = isBudgetDenial(decision);
        throw failure(
          attempt,
          'denied',
          new BriefcaseError(
            budget ? 'budget_exceeded' : 'denied',
            denialMessage(def.name, decision.reasons, budget),
          ),
          t0,
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
            throw failure(
              attempt,
              'denied',
              new BriefcaseError(
                'denied',
                'The approval id given does not exist or does not cover this tool with these exact arguments.',
              ),
              t0,
            );
          case 'denied':
            attempt.approvalId = resolution.approval.id;
            throw failure(
              attempt,
              'denied',
              new BriefcaseError(
                'denied',
                `A person denied this call${resolution.approval.denyReason ? `: ${resolution.approval.denyReason}` : ''}. Do not retry it unchanged before ${resolution.approval.expiresAt}.`,
              ),
              t0,
            );
          case 'pending':
            attempt.approvalId = resolution.approval.id;
            throw failure(attempt, 'approval_required', approvalError(resolution.approval, false), t0);
          case 'none': {
            let approval: Approval;
            try {
              approval = requestApproval(tool, validated.args, validated.argsHash, decision.reasons, nowMs);
            } catch {
              throw failure(
                attempt,
                'failed',
                new BriefcaseError('internal_error', 'The approval request could not be stored.'),
                t0,
              );
            }
            attempt.approvalId = approval.id;
            throw failure(attempt, 'approval_required', approvalError(approval, true), t0);
          }
        }
      }

      // 5. execute + redact + 6. receipt
      attempt.approvalId = approvalUsed?.id ?? null;
      if (approvalUsed) claimed.add(approvalUsed.id);
      reserved.set(def.category, (reserved.get(def.category) ?? 0) + def.costMicroUsd);
      const controller = new AbortController();
      const ctx: ToolContext = { db, now, signal: controller.signal };

      const finish = (result: unknown) => {
        const redacted = withSpan(tracer, 'briefcase.redact', {}, () =>
          redactResult(def.name, result, def.outputAllowlist, settings.maxResultBytes),
        );
        const durationMs = Math.round((performance.now() - t0) * 1000) / 1000;
        try {
          const receipt = writeReceipt(
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

      /** Runs `work` in the shared durable commit; a failing COMMIT means nothing was recorded. */
      const durably = <T>(work: () => T): Promise<T> =>
        commit.run(work).catch((error: unknown) => {
          throw isBriefcaseError(error)
            ? error
            : new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause: error });
        });

      try {
        const done = await withSpan(
          tracer,
          'briefcase.execute',
          { 'briefcase.mode': tool.executor.mode },
          async () => {
            if (tool.executor.mode === 'transactional') {
              const run = tool.executor.run;
              return durably(() => {
                let result: unknown;
                try {
                  result = run(validated.args, ctx);
                } catch (error) {
                  throw isBriefcaseError(error)
                    ? error
                    : new BriefcaseError(
                        'upstream_error',
                        `${def.name} failed while running; see the daemon log.`,
                      );
                }
                return finish(result);
              });
            }
            if (tool.executor.mode === 'external') {
              // Intent first: a call whose receipt cannot be written never starts. The approval is
              // used up here, not after the call: the outside effect may happen even if we crash.
              try {
                db.transaction(() => {
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
                })();
              } catch (cause) {
                throw new BriefcaseError('internal_error', RECEIPT_WRITE_FAILED, { cause });
              }
            }
            const result = await execute(tool, validated.args, ctx);
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
        const failed = failure(attempt, 'failed', e, t0);
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
    return failure(newAttempt(caller, ''), 'invalid', error, performance.now());
  }

  return { callTool, recordRejectedAttempt };
}

export type Pipeline = ReturnType<typeof createPipeline>;
