import { type Approval, BriefcaseError, type DecisionReason } from '@briefcase/core';

/** A tool name as it may appear in a message: quoted, and clipped so hostile names stay readable. */
export const printableName = (name: string) =>
  JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);

/**
 * Why a call was denied (by policy, or by a budget cap). Only the why: the agent reads this too and
 * can run no admin command, so what to do next is each surface's hint (ERROR_CATALOG, DENIAL_CATALOG).
 */
export function denialMessage(tool: string, reasons: DecisionReason[], budget: boolean): string {
  const why = reasons.map((r) => r.message).join('; ') || 'no policy permits this call';
  return budget ? `${tool} is over budget: ${why}.` : `Policy denies ${tool}: ${why}.`;
}

/** The `approval_required` error for a call waiting on `approval`, `fresh` when it was just created. */
export function approvalError(approval: Approval, fresh: boolean): BriefcaseError {
  const why = approval.reasons.map((r) => r.message).join('; ');
  return new BriefcaseError(
    'approval_required',
    // Read by the agent too, which cannot approve: the command is named as what the person runs.
    `${approval.tool} needs a person's approval (${why}). ${fresh ? 'A request was created' : 'The request is still pending'}: the person approves it with \`briefcase approvals approve ${approval.id}\` before ${approval.expiresAt}; then repeat the same call.`,
    { approvalId: approval.id, details: { approval } },
  );
}
