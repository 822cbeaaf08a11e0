import type { DecisionReason } from '@briefcase/core';
import { type AuthorizationAnswer, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { cedarMessages } from './cedar-errors.js';
import { safeMessage } from './display.js';
import { type CedarRequest, InvalidPolicyRequest, relayPolicyRequest, toCedarRequest } from './request.js';
import { ACTION_ENTITY_TYPE } from './schema.js';
import type { PolicyDecision, PolicyRequest, RelayPolicyRequest } from './types.js';

/**
 * Reason ids the policy stage uses when no single policy determined the outcome.
 * Stable: the CLI and receipts show them.
 */
export const POLICY_REASON_IDS = {
  /** `call` was denied and no forbid matched: nothing permits the call. */
  noPermit: 'policy:no-permit',
  /** `relay` was denied and no forbid matched: nothing permits the relayed MCP request. */
  noRelayPermit: 'policy:no-relay-permit',
  /** `call_without_approval` was denied and no forbid matched: nothing lets the call skip approval. */
  noPermitWithoutApproval: 'policy:no-permit-without-approval',
  /** Cedar could not answer at all (for example, the request did not match the schema). */
  evaluationFailed: 'policy:evaluation-failed',
  /** The request held a value the policy cannot see faithfully (e.g. a non-integer amount). */
  invalidRequest: 'policy:invalid-request',
  /** `evaluate` was called after `dispose`. */
  disposed: 'policy:disposed',
} as const;

/** What the evaluator knows about each policy beyond its text. */
export interface PolicyMeta {
  /** The policy's `@reason("...")` annotation, shown as the decision reason's message. */
  reason: string | undefined;
}

/** The pre-parsed state one compiled policy evaluates against. */
export interface EvaluationTarget {
  setId: string;
  schemaName: string;
  meta: ReadonlyMap<string, PolicyMeta>;
  disposed: boolean;
}

type Action = 'call' | 'call_without_approval' | 'relay';

type QueryResult = { decision: 'allow' | 'deny'; determining: string[] } | { failed: DecisionReason[] };

function policyReason(id: string, message: string): DecisionReason {
  return { stage: 'policy', id, message: safeMessage(message) };
}

function ask(target: EvaluationTarget, request: CedarRequest, action: Action): QueryResult {
  let answer: AuthorizationAnswer;
  try {
    answer = statefulIsAuthorized({
      principal: request.principal,
      action: { type: ACTION_ENTITY_TYPE, id: action },
      resource: request.resource,
      context: request.context,
      entities: request.entities,
      preparsedPolicySetId: target.setId,
      preparsedSchemaName: target.schemaName,
      validateRequest: true,
    });
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      failed: [
        policyReason(POLICY_REASON_IDS.evaluationFailed, `policy evaluation failed (${action}): ${detail}`),
      ],
    };
  }
  if (answer.type === 'failure') {
    return {
      failed: [
        policyReason(
          POLICY_REASON_IDS.evaluationFailed,
          `policy evaluation failed (${action}): ${cedarMessages(answer.errors)}`,
        ),
      ],
    };
  }
  const { decision, diagnostics } = answer.response;
  // Cedar skips a policy whose evaluation errors and decides without it. That could drop a forbid,
  // so any error fails the whole decision closed.
  if (diagnostics.errors.length > 0) {
    return {
      failed: diagnostics.errors.map((e) =>
        policyReason(
          e.policyId,
          `policy evaluation failed in "${e.policyId}" (${action}): ${e.error.message}`,
        ),
      ),
    };
  }
  return { decision, determining: diagnostics.reason };
}

function determiningReasons(
  target: EvaluationTarget,
  ids: readonly string[],
  verb: 'permitted' | 'forbidden',
): DecisionReason[] {
  return ids.map((id) => policyReason(id, target.meta.get(id)?.reason ?? `${verb} by policy "${id}"`));
}

function deny(reasons: DecisionReason[]): PolicyDecision {
  return { kind: 'deny', reasons };
}

/**
 * Asks `call`, then `call_without_approval`. `call` denied → deny; else `call_without_approval`
 * denied → approval_required; else allow. Any failure or evaluation error → deny.
 */
export function evaluateCompiled(target: EvaluationTarget, request: PolicyRequest): PolicyDecision {
  if (target.disposed) {
    return deny([
      policyReason(POLICY_REASON_IDS.disposed, 'the policy was replaced; evaluate with the current one'),
    ]);
  }
  let cedarRequest: CedarRequest;
  try {
    cedarRequest = toCedarRequest(request);
  } catch (error) {
    // Not only our own checks: a hostile object may throw from a getter. Either way, deny.
    const detail = error instanceof InvalidPolicyRequest ? error.message : 'the request could not be read';
    return deny([policyReason(POLICY_REASON_IDS.invalidRequest, `invalid policy request: ${detail}`)]);
  }

  const call = ask(target, cedarRequest, 'call');
  if ('failed' in call) return deny(call.failed);
  if (call.decision === 'deny') {
    return deny(
      call.determining.length > 0
        ? determiningReasons(target, call.determining, 'forbidden')
        : [policyReason(POLICY_REASON_IDS.noPermit, 'no policy permits this call')],
    );
  }

  const unattended = ask(target, cedarRequest, 'call_without_approval');
  if ('failed' in unattended) return deny(unattended.failed);
  if (unattended.decision === 'deny') {
    return {
      kind: 'approval_required',
      reasons:
        unattended.determining.length > 0
          ? determiningReasons(target, unattended.determining, 'forbidden')
          : [
              policyReason(
                POLICY_REASON_IDS.noPermitWithoutApproval,
                'no policy permits this call without a person approving it',
              ),
            ],
    };
  }
  const permits = [...new Set([...call.determining, ...unattended.determining])];
  return { kind: 'allow', reasons: determiningReasons(target, permits, 'permitted') };
}

/** Asks `relay` once: allow, or deny with the forbidding policies (or no permit). Failures deny. */
export function evaluateRelayCompiled(target: EvaluationTarget, request: RelayPolicyRequest): PolicyDecision {
  if (target.disposed) {
    return deny([
      policyReason(POLICY_REASON_IDS.disposed, 'the policy was replaced; evaluate with the current one'),
    ]);
  }
  let cedarRequest: CedarRequest;
  try {
    cedarRequest = toCedarRequest(relayPolicyRequest(request));
  } catch (error) {
    const detail = error instanceof InvalidPolicyRequest ? error.message : 'the request could not be read';
    return deny([policyReason(POLICY_REASON_IDS.invalidRequest, `invalid policy request: ${detail}`)]);
  }
  const relay = ask(target, cedarRequest, 'relay');
  if ('failed' in relay) return deny(relay.failed);
  if (relay.decision === 'deny') {
    return deny(
      relay.determining.length > 0
        ? determiningReasons(target, relay.determining, 'forbidden')
        : [policyReason(POLICY_REASON_IDS.noRelayPermit, 'no policy permits this relayed MCP request')],
    );
  }
  return { kind: 'allow', reasons: determiningReasons(target, relay.determining, 'permitted') };
}
