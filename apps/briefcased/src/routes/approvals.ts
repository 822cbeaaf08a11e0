import { approvalStream, approveApproval, denyApproval, getApproval, listApprovals } from '@briefcase/api';
import { type Approval, BriefcaseError } from '@briefcase/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMIN } from '../auth.js';
import type { ApprovalStore } from '../db/approvals.js';
import type { ApprovalEvents } from '../events.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';
import { openSse } from './sse.js';

/** What the approval routes read and write; a decision and its receipt share one transaction. */
export interface ApprovalRouteDeps {
  approvals: ApprovalStore;
  writer: ReceiptWriter;
  events: ApprovalEvents;
  clock: () => Date;
}

/** A handler that approves or denies the pending approval named in the URL, with its receipt. */
function decideApproval(deps: ApprovalRouteDeps, decision: 'approved' | 'denied') {
  return async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const reason = (request.body as { reason?: string } | undefined)?.reason;
    const nowMs = deps.clock().getTime();
    const approval = await deps.writer.commit((tx) => {
      const decided = deps.approvals.decide(id, decision, 'local-admin', nowMs, reason);
      if (decided) {
        tx.append('approval_decision', {
          approvalId: decided.id,
          tool: decided.tool,
          argsHash: decided.argsHash,
          decision,
          by: 'local-admin',
        });
      }
      return decided;
    });
    if (!approval) {
      const existing = deps.approvals.get(id);
      if (!existing) throw new BriefcaseError('not_found', `No approval has the id ${JSON.stringify(id)}.`);
      const state = existing.state === 'pending' ? 'expired' : existing.state;
      throw new BriefcaseError(
        'invalid_args',
        `Approval ${id} is ${state}, not pending, so it cannot be ${decision}. List pending ones with \`briefcase approvals list\`.`,
        { details: { state } },
      );
    }
    // Asked before the event: the event is what releases a held call.
    const callWaiting = deps.events.isHeld(approval.id);
    deps.events.emit({ type: decision, approval });
    return { approval, callWaiting };
  };
}

/** Registers the admin's approval routes: list, the SSE stream of changes, get one, approve, deny. */
export function registerApprovalRoutes(app: FastifyInstance, deps: ApprovalRouteDeps): void {
  app.get(
    listApprovals.url,
    {
      config: { roles: ADMIN },
      schema: listApprovals.schema,
    },
    async (request) => {
      const q = request.query as { state?: Approval['state'] | 'all'; limit?: string };
      const limit = Math.min(Math.max(Number(q.limit ?? 100), 1), 1000);
      return { approvals: deps.approvals.list(q.state ?? 'pending', limit) };
    },
  );

  app.get(
    approvalStream.url,
    {
      config: { roles: ADMIN },
      schema: approvalStream.schema,
    },
    (_request, reply) => {
      const stream = openSse(reply);
      stream.send('snapshot', { approvals: deps.approvals.list('pending', 1000) });
      stream.onClose(deps.events.subscribe((event) => stream.send('approval', event)));
    },
  );

  app.get(
    getApproval.url,
    {
      config: { roles: ADMIN },
      schema: getApproval.schema,
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const approval = deps.approvals.get(id);
      if (!approval) throw new BriefcaseError('not_found', `No approval has the id ${JSON.stringify(id)}.`);
      return { approval };
    },
  );

  app.post(
    approveApproval.url,
    {
      config: { roles: ADMIN, admin: 'approval.approve' },
      schema: approveApproval.schema,
    },
    decideApproval(deps, 'approved'),
  );

  app.post(
    denyApproval.url,
    {
      config: { roles: ADMIN, admin: 'approval.deny' },
      schema: denyApproval.schema,
    },
    decideApproval(deps, 'denied'),
  );
}
