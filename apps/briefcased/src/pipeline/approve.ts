import type { Approval, DecisionReason, ToolDefinition } from '@briefcase/core';
import type { ApprovalStore } from '../db/approvals.js';
import type { ApprovalEvents } from '../events.js';
import { scrubString } from './redact.js';
import type { PipelineSettings } from './settings.js';

const SUMMARY_ARGS_CHARS = 600;

/** What the approve stage found for a call that needs approval. */
export type ApprovalResolution =
  | { kind: 'use'; approval: Approval }
  | { kind: 'pending'; approval: Approval }
  | { kind: 'denied'; approval: Approval }
  | { kind: 'mismatch' }
  | { kind: 'none' };

/**
 * Finds the approval that governs this exact call (tool + canonical-args hash).
 * An explicit id must name an approval for the same tool and arguments; without one, the newest live
 * approval for the same call is used, so a plain retry works with no token. Approvals that are being
 * used by a call in flight (`claimed`) are not handed out twice.
 */
export function resolveApproval(
  store: ApprovalStore,
  call: { tool: string; argsHash: string; approvalId: string | undefined },
  nowMs: number,
  claimed: ReadonlySet<string>,
): ApprovalResolution {
  let approval: Approval | undefined;
  if (call.approvalId !== undefined) {
    approval = store.get(call.approvalId);
    if (!approval || approval.tool !== call.tool || approval.argsHash !== call.argsHash)
      return { kind: 'mismatch' };
    // An explicit id that is used up or expired falls back to the normal flow: a new request.
    if (
      approval.state === 'consumed' ||
      approval.state === 'expired' ||
      Date.parse(approval.expiresAt) <= nowMs
    ) {
      approval = store.findLive(call.tool, call.argsHash, nowMs);
    }
  } else {
    approval = store.findLive(call.tool, call.argsHash, nowMs);
  }
  if (!approval) return { kind: 'none' };
  if (approval.state === 'approved') {
    return claimed.has(approval.id) ? { kind: 'none' } : { kind: 'use', approval };
  }
  if (approval.state === 'pending') return { kind: 'pending', approval };
  if (approval.state === 'denied') return { kind: 'denied', approval };
  return { kind: 'none' };
}

/** A plain-language line for the person deciding: what runs, what it costs, with which arguments. */
export function summarizeCall(
  tool: { name: string; effect: string; category: string; costMicroUsd: number },
  argsPreview: string,
): string {
  const cost = tool.costMicroUsd > 0 ? `, costs $${(tool.costMicroUsd / 1e6).toFixed(6)}` : '';
  return `Call ${tool.name} (${tool.effect}, category ${tool.category}${cost}) with arguments ${argsPreview}`;
}

/** Where approval requests are stored and announced, and how long they stay open. */
export interface ApprovalRequestDeps {
  approvals: ApprovalStore;
  events: ApprovalEvents;
  settings: Pick<PipelineSettings, 'approvalTtlMs'>;
}

/**
 * Creates a pending approval request for this exact call and announces it. The person deciding sees
 * a scrubbed preview of the arguments, clipped to SUMMARY_ARGS_CHARS characters.
 */
export function requestApproval(
  deps: ApprovalRequestDeps,
  tool: ToolDefinition,
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
  const approval = deps.approvals.create(
    {
      tool: tool.name,
      argsHash,
      summary: summarizeCall(tool, scrubString(clipped).text),
      costMicroUsd: tool.costMicroUsd,
      reasons,
    },
    nowMs,
    deps.settings.approvalTtlMs,
  );
  deps.events.emit({ type: 'created', approval });
  return approval;
}
