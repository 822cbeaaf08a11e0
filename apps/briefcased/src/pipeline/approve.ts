import type { Approval } from '@briefcase/core';
import type { ApprovalStore } from '../db/approvals.js';

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
