import { MAX_APPROVAL_WAIT_MS } from '@briefcase/core';
import type { ApprovalStore } from '../db/approvals.js';
import type { ApprovalEvents } from '../events.js';

/**
 * Waits until a person decides an approval request, it expires, `waitMs` passes or `signal` aborts.
 * Resolves to whether it was decided (either way: the caller re-runs the call, which then executes
 * or reports the denial, with its own receipt), never to the decision itself being trusted from here.
 */
export function waitForDecision(
  approvals: ApprovalStore,
  events: ApprovalEvents,
  approvalId: string,
  waitMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe = () => {};
    const release = events.hold(approvalId);
    const finish = (decided: boolean) => {
      clearTimeout(timer);
      release();
      unsubscribe();
      signal?.removeEventListener('abort', onAbort);
      resolve(decided);
    };
    const onAbort = () => finish(false);
    unsubscribe = events.subscribe((event) => {
      if (event.approval.id === approvalId && event.type !== 'created') finish(true);
    });
    // Decided between the pipeline's answer and the subscription: no event will come for it.
    if (approvals.get(approvalId)?.state !== 'pending') return finish(true);
    if (signal?.aborted) return finish(false);
    signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => finish(false), Math.min(waitMs, MAX_APPROVAL_WAIT_MS));
  });
}
