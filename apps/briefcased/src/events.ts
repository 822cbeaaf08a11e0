import { EventEmitter } from 'node:events';
import type { Approval } from '@briefcase/core';

export type ApprovalEventType = 'created' | 'approved' | 'denied' | 'expired' | 'consumed';

export interface ApprovalEvent {
  type: ApprovalEventType;
  approval: Approval;
}

/** Fan-out of approval changes to trusted listeners (the SSE stream, later the UI and signers). */
export interface ApprovalEvents {
  emit(event: ApprovalEvent): void;
  subscribe(listener: (event: ApprovalEvent) => void): () => void;
  /**
   * Marks an agent's call as held waiting for a decision on `approvalId`, until the returned function
   * is called. A person's decision then reaches that call directly, which the decision's answer says.
   */
  hold(approvalId: string): () => void;
  /** Whether a call is held waiting for a decision on `approvalId`. */
  isHeld(approvalId: string): boolean;
}

export function createApprovalEvents(): ApprovalEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  /** Calls held per approval id (a count: two identical calls may wait on one request). */
  const held = new Map<string, number>();
  return {
    hold(approvalId) {
      held.set(approvalId, (held.get(approvalId) ?? 0) + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (held.get(approvalId) ?? 1) - 1;
        if (left > 0) held.set(approvalId, left);
        else held.delete(approvalId);
      };
    },
    isHeld: (approvalId) => held.has(approvalId),
    emit: (event) => emitter.emit('approval', event),
    subscribe(listener) {
      emitter.on('approval', listener);
      return () => emitter.off('approval', listener);
    },
  };
}
