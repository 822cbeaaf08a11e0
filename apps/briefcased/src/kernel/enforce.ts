import { performance } from 'node:perf_hooks';
import {
  type Approval,
  BriefcaseError,
  type DecisionReason,
  type ErrorCode,
  isBriefcaseError,
} from '@briefcase/core';
import { isBudgetDenial, type PolicyDecision } from '@briefcase/policy';
import type { SecretStore } from '@briefcase/secrets';
import { getTracer, withSpan } from '@briefcase/telemetry';
import type { ApprovalStore } from '../db/approvals.js';
import type { ApprovalEvents } from '../events.js';
import { resolveApproval } from '../pipeline/approve.js';
import { runTransactional, runWithTimeout } from '../pipeline/execute.js';
import { withdrawApproval } from '../pipeline/expire.js';
import { approvalError } from '../pipeline/messages.js';
import { redactResult } from '../pipeline/redact.js';
import { waitForDecision } from '../pipeline/wait.js';
import type { ExternalToolContext, OutboundFetch, TransactionHandle } from '../tools/types.js';
import type { Action, ActionPlan, Attempt, Caller, Enforced, EnforceOptions } from './action.js';
import { approvalIdDigest } from './receipt-values.js';
import {
  type ReceiptFields,
  type ReceiptTransaction,
  type ReceiptWriter,
  withReceiptSeq,
  writeFailure,
} from './receipt-writer.js';

const tracer = getTracer('briefcased.kernel');

/** The span around a whole action, by kind; its stages are child spans (`briefcase.decide`, …). */
const ROOT_SPAN: Record<Action['kind'], string> = {
  tool_call: 'briefcase.call_tool',
  mcp_relay: 'briefcase.relay',
};

/** What the kernel reads and writes; the daemon makes one kernel. */
export interface KernelDeps {
  writer: ReceiptWriter;
  /** Where transactional tools write: only ever used inside the writer's commit, so on its transaction. */
  db: TransactionHandle;
  approvals: ApprovalStore;
  events: ApprovalEvents;
  /** Secret values handed to tools or servers (stdio `--env`), scrubbed from every result. */
  knownSecrets: () => readonly string[];
  secrets: SecretStore;
  fetch: OutboundFetch;
  maxResultBytes: number;
  clock: () => Date;
  /**
   * Why no action may run right now (the receipt chain is broken and the daemon refuses calls), or
   * undefined. Asked first; a refused action still leaves its receipt.
   */
  refusal?: () => BriefcaseError | undefined;
}

const isDecisionReason = (v: unknown): v is DecisionReason => {
  const r = v as Partial<DecisionReason> | null | undefined;
  return typeof r?.stage === 'string' && typeof r.id === 'string' && typeof r.message === 'string';
};

/** Whether an error already carries the sequence number of the receipt that recorded it. */
export const hasReceipt = (error: BriefcaseError): boolean =>
  typeof (error.details as { receiptSeq?: unknown } | null | undefined)?.receiptSeq === 'number';

/** Milliseconds since `t0` (a `performance.now()` reading), to the microsecond. */
const elapsedMs = (t0: number) => Math.round((performance.now() - t0) * 1000) / 1000;

/** The receipt of `attempt`, for its kind. The one place an attempt becomes receipt fields. */
function attemptReceipt(
  attempt: Attempt,
  result: { errorCode: ErrorCode | null; durationMs: number; redactions?: number; costMicroUsd?: number },
): ReceiptFields {
  return {
    agent: attempt.agent,
    ...attempt.fields,
    decision: attempt.decision,
    reasons: attempt.reasons.map(({ stage, id, message }) => ({ stage, id, message })),
    outcome: attempt.outcome,
    errorCode: result.errorCode,
    redactions: result.redactions ?? 0,
    durationMs: result.durationMs,
    ...(attempt.kind === 'tool_call'
      ? { approvalId: attempt.approvalId, costMicroUsd: result.costMicroUsd ?? 0 }
      : {}),
    ...(attempt.auth ? { auth: { method: attempt.auth.method, scope: attempt.auth.scope } } : {}),
  };
}

/**
 * The enforcement kernel: every tool call and every relayed MCP request runs through `enforce`,
 * stage by stage (prepare → decide → approve → execute → redact → receipt), and ends in exactly one
 * receipt of its kind, written by the one receipt writer before any result is returned.
 */
export function createKernel(deps: KernelDeps) {
  const { writer, approvals, events } = deps;
  /** A transactional tool's handle: statements only, run inside its receipt's commit. */
  const toolTx = { prepare: (sql: string) => deps.db.prepare(sql) };
  /** Approvals being used by an action in flight: never handed to a second, concurrent one. */
  const claimed = new Set<string>();
  /** Budget reserved by actions in flight, so concurrent ones cannot overrun a cap together. */
  const reserved = new Map<string, number>();
  /**
   * Pending approvals whose id some caller was given (an `approval_required` answer): that caller
   * may retry on it, so it is never withdrawn early. Forgotten once decided or ended.
   */
  const handedOut = new Set<string>();
  /** How many calls are holding open for each pending approval right now. */
  const waiters = new Map<string, number>();
  const forget = events.subscribe((event) => {
    if (event.type !== 'created') handedOut.delete(event.approval.id);
  });
  /** Aborted by {@link stop}: every wait for a decision ends, and the call answers `shutting_down`. */
  const stopping = new AbortController();
  /** Actions in flight, so {@link settled} can tell when the last one has written its receipt. */
  const inFlight = new Set<Promise<unknown>>();

  function enforce(action: Action, caller: Caller, options: EnforceOptions = {}): Promise<Enforced> {
    const running = run(action, caller, options);
    inFlight.add(running);
    void running.then(
      () => inFlight.delete(running),
      () => inFlight.delete(running),
    );
    return running;
  }

  /** Ends every wait for a decision now (briefcased is stopping); actions keep running to their receipt. */
  function stop(): void {
    stopping.abort();
    forget();
  }

  /** Resolves true once no action is in flight, or false after `ms` with some still running. */
  async function settled(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([Promise.allSettled([...inFlight]).then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function run(action: Action, caller: Caller, options: EnforceOptions): Promise<Enforced> {
    const t0 = performance.now();
    const attempt = beginAttempt(action, caller);
    const root = ROOT_SPAN[action.kind];
    const named = typeof attempt.fields.tool === 'string' ? { 'briefcase.tool': attempt.fields.tool } : {};
    return withSpan(tracer, root, named, async (span) => {
      try {
        refuseStage(attempt);
        const plan = await prepareStage(action, attempt);
        const approval = await authorizeStage(plan, attempt, options);
        if (attempt.decision) span.setAttribute('briefcase.decision', attempt.decision);
        const done = await executeStage(plan, attempt, approval, options, t0);
        span.setAttribute('briefcase.outcome', 'ok');
        return done;
      } catch (error) {
        span.setAttribute('briefcase.outcome', attempt.outcome);
        if (attempt.decision) span.setAttribute('briefcase.decision', attempt.decision);
        throw await recordFailure(attempt, error, t0);
      }
    });
  }

  /** Records an attempt that never got as far as a parsed request (malformed JSON, oversized body). */
  function recordRejected(action: Action, caller: Caller, error: BriefcaseError): Promise<BriefcaseError> {
    return recordFailure(beginAttempt(action, caller), error, performance.now());
  }

  const beginAttempt = (action: Action, caller: Caller): Attempt => ({
    kind: action.kind,
    agent: caller.agent,
    fields: { ...action.fields },
    decision: null,
    reasons: [],
    approvalId: null,
    outcome: 'invalid',
  });

  /** Refuses every action while the daemon says so (a broken receipt chain): before anything runs. */
  function refuseStage(attempt: Attempt): void {
    const refused = deps.refusal?.();
    if (refused === undefined) return;
    attempt.outcome = 'denied';
    attempt.reasons = [{ stage: 'kernel', id: 'receipts:chain-broken', message: refused.message }];
    throw refused;
  }

  /** Lookup and validation: anything wrong with the request is `invalid_args` (or `not_found`). */
  async function prepareStage(action: Action, attempt: Attempt): Promise<ActionPlan> {
    try {
      return await action.prepare(attempt.fields);
    } catch (error) {
      throw isBriefcaseError(error) ? error : new BriefcaseError('invalid_args', 'The request is malformed.');
    }
  }

  /** Policy, budget and risk: an evaluation error is a denial, never an allow. */
  function decideStage(plan: ActionPlan, attempt: Attempt, nowMs: number): PolicyDecision {
    attempt.outcome = 'denied';
    let decision: PolicyDecision;
    try {
      decision = withSpan(tracer, 'briefcase.decide', {}, () =>
        plan.decide({ nowMs, reservedMicroUsd: plan.cost ? (reserved.get(plan.cost.category) ?? 0) : 0 }),
      );
    } catch {
      attempt.decision = 'deny';
      attempt.reasons = [{ stage: 'policy', id: 'evaluation_error', message: 'policy evaluation failed' }];
      throw new BriefcaseError('denied', 'Policy evaluation failed, so the request is denied.', {
        details: { deniedBy: 'policy' },
      });
    }
    attempt.decision = decision.kind;
    attempt.reasons = decision.reasons;
    if (decision.kind === 'deny' || (decision.kind === 'approval_required' && !plan.approval)) {
      const budget = isBudgetDenial(decision);
      const message = plan.denialMessage(decision.reasons, budget);
      throw budget
        ? new BriefcaseError('budget_exceeded', message)
        : new BriefcaseError('denied', message, { details: { deniedBy: 'policy' } });
    }
    return decision;
  }

  /**
   * Decide, then find or ask for an approval. With `waitMs`, holds the action while a person
   * decides and then decides again (the policy or a budget may have changed meanwhile); the one
   * receipt comes at the end. Synchronous from the decision to the reservation.
   */
  async function authorizeStage(
    plan: ActionPlan,
    attempt: Attempt,
    options: EnforceOptions,
  ): Promise<Approval | undefined> {
    const waitUntil = performance.now() + (options.waitMs ?? 0);
    let named = plan.approval?.approvalId;
    for (;;) {
      const nowMs = deps.clock().getTime();
      const decision = decideStage(plan, attempt, nowMs);
      const binding = plan.approval;
      if (decision.kind === 'allow' || !binding) {
        // Decided again after a wait, the policy may now allow it: the pending approval is not used.
        attempt.approvalId = null;
        return reserve(plan, undefined);
      }
      const resolution = withSpan(tracer, 'briefcase.approve', {}, () =>
        resolveApproval(
          approvals,
          { tool: binding.tool, argsHash: binding.argsHash, approvalId: named },
          nowMs,
          claimed,
        ),
      );
      let waiting: Approval;
      let fresh = false;
      switch (resolution.kind) {
        case 'use':
          attempt.approvalId = resolution.approval.id;
          return reserve(plan, resolution.approval);
        case 'mismatch':
          // Not an approval of this call: the receipt keeps a digest of what was named, not the value.
          attempt.fields.approvalIdGiven = approvalIdDigest(named);
          throw new BriefcaseError(
            'denied',
            'The approval id given does not exist or does not cover this tool with these exact arguments.',
            { details: { deniedBy: 'approval' } },
          );
        case 'denied':
          attempt.approvalId = resolution.approval.id;
          throw new BriefcaseError(
            'denied',
            `A person denied this call${resolution.approval.denyReason ? `: ${resolution.approval.denyReason}` : ''}. Do not retry it unchanged before ${resolution.approval.expiresAt}.`,
            { details: { deniedBy: 'person' } },
          );
        case 'pending':
          waiting = resolution.approval;
          break;
        case 'none':
          attempt.outcome = 'failed';
          try {
            waiting = binding.request(decision.reasons, nowMs);
          } catch {
            throw new BriefcaseError('internal_error', 'The approval request could not be stored.');
          }
          fresh = true;
          break;
      }
      attempt.approvalId = waiting.id;
      attempt.outcome = 'approval_required';
      const left = waitUntil - performance.now();
      const decided = left > 0 && (await waitFor(waiting.id, left, options.signal));
      if (!decided) throw await undecided(waiting, fresh, options.signal);
      named = waiting.id;
    }
  }

  /** Holds the call until the approval is decided, `ms` pass, the caller goes away or the daemon stops. */
  async function waitFor(id: string, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    waiters.set(id, (waiters.get(id) ?? 0) + 1);
    try {
      const either = signal ? AbortSignal.any([signal, stopping.signal]) : stopping.signal;
      return await waitForDecision(approvals, events, id, ms, either);
    } finally {
      const left = (waiters.get(id) ?? 1) - 1;
      if (left > 0) waiters.set(id, left);
      else waiters.delete(id);
    }
  }

  /**
   * The error for a call whose approval was not decided in time. An approval this call asked for,
   * whose caller went away (or is being told that briefcased stops) with nobody else given its id or
   * waiting on it, can never be retried on: it is withdrawn, with its receipt, instead of staying
   * pending until its lifetime ends. Every other one stays approvable for a retry.
   */
  async function undecided(
    approval: Approval,
    fresh: boolean,
    signal: AbortSignal | undefined,
  ): Promise<BriefcaseError> {
    const callerLeft = signal?.aborted === true;
    const shutdown = !callerLeft && stopping.signal.aborted;
    if (!callerLeft && !shutdown) {
      handedOut.add(approval.id);
      return approvalError(approval, fresh);
    }
    let withdrawn = false;
    if (fresh && !handedOut.has(approval.id) && !waiters.has(approval.id)) {
      try {
        withdrawn =
          (await withdrawApproval(deps, approval.id, callerLeft ? 'caller_left' : 'shutdown')) !== undefined;
      } catch {
        // Not withdrawn (the receipt could not be written): it stays pending until its lifetime ends.
      }
    }
    if (callerLeft) return approvalError(approval, fresh); // nobody reads it; the receipt records the attempt
    if (!withdrawn) handedOut.add(approval.id);
    return new BriefcaseError(
      'shutting_down',
      withdrawn
        ? 'briefcased is stopping, so this call did not run and its approval request was withdrawn. Retry the same call once briefcased runs again.'
        : `briefcased is stopping, so this call did not run. Approval ${approval.id} stays pending: retry the same call once briefcased runs again.`,
      withdrawn ? {} : { approvalId: approval.id },
    );
  }

  const reserve = (plan: ActionPlan, approval: Approval | undefined) => {
    if (approval) claimed.add(approval.id);
    if (plan.cost)
      reserved.set(plan.cost.category, (reserved.get(plan.cost.category) ?? 0) + plan.cost.microUsd);
    return approval;
  };

  const release = (plan: ActionPlan, approval: Approval | undefined) => {
    if (approval) claimed.delete(approval.id);
    if (!plan.cost) return;
    const left = (reserved.get(plan.cost.category) ?? 0) - plan.cost.microUsd;
    if (left > 0) reserved.set(plan.cost.category, left);
    else reserved.delete(plan.cost.category);
  };

  /** Run the executor by its mode, redact, and commit the receipt (with the action's own writes). */
  async function executeStage(
    plan: ActionPlan,
    attempt: Attempt,
    approval: Approval | undefined,
    options: EnforceOptions,
    t0: number,
  ): Promise<Enforced> {
    attempt.outcome = 'failed';
    const executor = plan.executor;
    if (executor.mode === 'external') attempt.auth = executor.auth?.();
    const controller = new AbortController();
    const cancel = () => controller.abort();
    options.signal?.addEventListener('abort', cancel, { once: true });
    if (options.signal?.aborted) controller.abort();
    const base = { now: deps.clock(), signal: controller.signal };
    const label = plan.output?.label ?? attempt.kind;
    try {
      return await withSpan(tracer, 'briefcase.execute', { 'briefcase.mode': executor.mode }, async () => {
        if (executor.mode === 'transactional') {
          return writer.commit((tx) =>
            finish(
              tx,
              plan,
              attempt,
              approval,
              runTransactional(label, executor.run, plan.args, { ...base, tx: toolTx }),
              t0,
            ),
          );
        }
        let result: unknown;
        if (executor.mode === 'external') {
          // Intent first: an action whose receipt cannot be written never starts. The approval is
          // used up here, not after: the outside effect may happen even if the daemon crashes.
          await writer.commit((tx) => writeIntent(tx, attempt, approval));
          const ctx: ExternalToolContext = {
            ...base,
            fetch: deps.fetch,
            secrets: scopedSecrets(deps.secrets, plan.secrets ?? []),
            ...(options.binding ? { binding: options.binding } : {}),
          };
          result = await runWithTimeout(label, () => executor.run(plan.args, ctx), plan.timeoutMs);
        } else {
          result = await runWithTimeout(label, () => executor.run(plan.args, base), plan.timeoutMs);
        }
        return writer.commit((tx) => finish(tx, plan, attempt, approval, result, t0));
      });
    } catch (error) {
      controller.abort();
      throw isBriefcaseError(error)
        ? error
        : new BriefcaseError('upstream_error', `${label} failed while running; see the daemon log.`);
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      release(plan, approval);
      announceConsumed(approval);
    }
  }

  /** Inside the commit: redact, append the receipt, spend, use up the approval. */
  function finish(
    tx: ReceiptTransaction,
    plan: ActionPlan,
    attempt: Attempt,
    approval: Approval | undefined,
    result: unknown,
    t0: number,
  ): Enforced {
    const redacted = plan.output
      ? withSpan(tracer, 'briefcase.redact', {}, () =>
          redactResult(
            plan.output?.label ?? '',
            result,
            plan.output?.allowlist ?? [],
            deps.maxResultBytes,
            deps.knownSecrets(),
          ),
        )
      : { value: result, redactions: 0 };
    attempt.outcome = 'ok';
    const durationMs = elapsedMs(t0);
    const costMicroUsd = plan.cost?.microUsd ?? 0;
    const receipt = tx.append(
      attempt.kind,
      attemptReceipt(attempt, { errorCode: null, durationMs, redactions: redacted.redactions, costMicroUsd }),
    );
    plan.onSuccess?.(receipt.seq, deps.clock().getTime());
    if (approval) approvals.consume(approval.id, deps.clock().getTime(), receipt.seq);
    return {
      value: redacted.value,
      fields: attempt.fields,
      receiptSeq: receipt.seq,
      receiptHash: receipt.hash,
      costMicroUsd,
      approvalId: attempt.approvalId,
      redactions: redacted.redactions,
      durationMs,
    };
  }

  function writeIntent(tx: ReceiptTransaction, attempt: Attempt, approval: Approval | undefined) {
    const { tool, source, argsHash } = attempt.fields;
    const intent = tx.append('tool_call_intent', {
      agent: attempt.agent,
      tool: tool ?? null,
      source: source ?? null,
      argsHash: argsHash ?? null,
      approvalId: attempt.approvalId,
    });
    if (approval) approvals.consume(approval.id, deps.clock().getTime(), intent.seq);
  }

  /** Tells trusted UIs an approval was used up (by this action's receipt or its intent). */
  function announceConsumed(approval: Approval | undefined) {
    if (!approval) return;
    const now = approvals.get(approval.id);
    if (now?.state === 'consumed') events.emit({ type: 'consumed', approval: now });
  }

  /** Records a failed attempt and returns the error to throw, with the receipt's sequence attached. */
  async function recordFailure(attempt: Attempt, error: unknown, t0: number): Promise<BriefcaseError> {
    const failure = isBriefcaseError(error)
      ? error
      : new BriefcaseError('upstream_error', 'The action failed while running; see the daemon log.');
    // A failure may name why it happened (a relay with no session to ask, say): the receipt keeps it.
    const reason = (failure.details as { receiptReason?: unknown } | null | undefined)?.receiptReason;
    if (isDecisionReason(reason)) attempt.reasons = [...attempt.reasons, reason];
    let seq: number;
    try {
      seq = await writer.commit((tx) => {
        const receipt = tx.append(
          attempt.kind,
          attemptReceipt(attempt, { errorCode: failure.code, durationMs: elapsedMs(t0) }),
        );
        // A failed run used its approval: the effect may have half happened.
        if (attempt.approvalId && attempt.outcome === 'failed') {
          approvals.consume(attempt.approvalId, deps.clock().getTime(), receipt.seq);
        }
        return receipt.seq;
      });
    } catch (cause) {
      return writeFailure(cause);
    }
    return withReceiptSeq(failure, seq);
  }

  return { enforce, recordRejected, stop, settled };
}

/** The kernel of a daemon. */
export type Kernel = ReturnType<typeof createKernel>;

/** A reader of the secret store that answers only for `names`. */
export function scopedSecrets(store: SecretStore, names: readonly string[]): ExternalToolContext['secrets'] {
  const allowed = new Set(names);
  return {
    get: (name) => {
      if (!allowed.has(name)) {
        return Promise.reject(
          new BriefcaseError(
            'sandbox_violation',
            `This tool may not read the secret ${JSON.stringify(name.slice(0, 64))}.`,
          ),
        );
      }
      return store.get(name);
    },
  };
}
