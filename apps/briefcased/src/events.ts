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
}

export function createApprovalEvents(): ApprovalEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    emit: (event) => emitter.emit('approval', event),
    subscribe(listener) {
      emitter.on('approval', listener);
      return () => emitter.off('approval', listener);
    },
  };
}
