import type { Approval } from '@briefcase/core';
import type { ApprovalStore } from '../db/approvals.js';
import type { ApprovalEvents } from '../events.js';
import type { ReceiptTransaction, ReceiptWriter } from '../kernel/receipt-writer.js';

/**
 * Why an approval request ended without being used:
 * - `lifetime`: its `expiresAt` passed, decided or not;
 * - `caller_left`: the caller holding the call open for it went away before anyone decided, and no
 *   other caller was ever given its id, so nobody could retry on it;
 * - `shutdown`: the same, because briefcased stopped while the call waited.
 */
export type ExpiryCause = 'lifetime' | 'caller_left' | 'shutdown';

/** What expiring approvals reads and writes. */
export interface ExpiryDeps {
  approvals: ApprovalStore;
  writer: ReceiptWriter;
  events: ApprovalEvents;
  clock: () => Date;
}

const receipt = (tx: ReceiptTransaction, approval: Approval, cause: ExpiryCause) =>
  tx.append('approval_expired', {
    approvalId: approval.id,
    tool: approval.tool,
    argsHash: approval.argsHash,
    cause,
  });

/**
 * Expires every approval past its lifetime, each with an `approval_expired` receipt in the same
 * commit as the change, and announces them. Resolves to those expired (none: no commit at all).
 */
export async function expireDue(deps: ExpiryDeps): Promise<Approval[]> {
  const nowMs = deps.clock().getTime();
  if (!deps.approvals.hasDue(nowMs)) return [];
  const expired = await deps.writer.commit((tx) => {
    const done = deps.approvals.expireDue(nowMs);
    for (const approval of done) receipt(tx, approval, 'lifetime');
    return done;
  });
  for (const approval of expired) deps.events.emit({ type: 'expired', approval });
  return expired;
}

/**
 * Withdraws one pending approval request nobody can use any more (see {@link ExpiryCause}), with its
 * receipt. Resolves to undefined when it was no longer pending (a person decided it meanwhile).
 */
export async function withdrawApproval(
  deps: ExpiryDeps,
  id: string,
  cause: Exclude<ExpiryCause, 'lifetime'>,
): Promise<Approval | undefined> {
  const withdrawn = await deps.writer.commit((tx) => {
    const approval = deps.approvals.withdraw(id);
    if (approval) receipt(tx, approval, cause);
    return approval;
  });
  if (withdrawn) deps.events.emit({ type: 'expired', approval: withdrawn });
  return withdrawn;
}
