import { type Approval, BriefcaseError, MAX_APPROVAL_ID_LENGTH } from '@briefcase/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ADMIN } from '../auth.js';
import type { ApprovalStore } from '../db/approvals.js';
import type { ApprovalEvents } from '../events.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';
import { errorResponses, ref } from '../schemas.js';
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
    deps.events.emit({ type: decision, approval });
    return { approval };
  };
}

/** Registers the admin's approval routes: list, the SSE stream of changes, get one, approve, deny. */
export function registerApprovalRoutes(app: FastifyInstance, deps: ApprovalRouteDeps): void {
  const approvalParams = {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: MAX_APPROVAL_ID_LENGTH } },
    required: ['id'],
  };
  const approvalResponse = {
    200: { type: 'object', properties: { approval: ref('Approval') }, required: ['approval'] },
    ...errorResponses(400, 401, 403, 404, 409),
  };

  app.get(
    '/v1/approvals',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'List approval requests, newest first',
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired', 'consumed', 'all'] },
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { approvals: { type: 'array', items: ref('Approval') } },
            required: ['approvals'],
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query as { state?: Approval['state'] | 'all'; limit?: string };
      const limit = Math.min(Math.max(Number(q.limit ?? 100), 1), 1000);
      return { approvals: deps.approvals.list(q.state ?? 'pending', limit) };
    },
  );

  app.get(
    '/v1/approvals/stream',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Server-Sent Events stream of approval changes',
        description:
          'First an `event: snapshot` with `{"approvals": [pending…]}`, then `event: approval` with `{"type": "created"|"approved"|"denied"|"expired"|"consumed", "approval": Approval}`. A `: ping` comment every 15 s keeps proxies from closing it.',
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errorResponses(401, 403) },
      },
    },
    (_request, reply) => {
      const stream = openSse(reply);
      stream.send('snapshot', { approvals: deps.approvals.list('pending', 1000) });
      stream.onClose(deps.events.subscribe((event) => stream.send('approval', event)));
    },
  );

  app.get(
    '/v1/approvals/:id',
    {
      config: { roles: ADMIN },
      schema: { summary: 'One approval request', params: approvalParams, response: approvalResponse },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const approval = deps.approvals.get(id);
      if (!approval) throw new BriefcaseError('not_found', `No approval has the id ${JSON.stringify(id)}.`);
      return { approval };
    },
  );

  app.post(
    '/v1/approvals/:id/approve',
    {
      config: { roles: ADMIN, admin: 'approval.approve' },
      schema: {
        summary: 'Approve a pending request (single use, bound to the exact tool and arguments)',
        params: approvalParams,
        body: { type: ['object', 'null'], additionalProperties: false },
        response: approvalResponse,
      },
    },
    decideApproval(deps, 'approved'),
  );

  app.post(
    '/v1/approvals/:id/deny',
    {
      config: { roles: ADMIN, admin: 'approval.deny' },
      schema: {
        summary: 'Deny a pending request',
        params: approvalParams,
        body: {
          type: ['object', 'null'],
          properties: { reason: { type: 'string', maxLength: 500 } },
          additionalProperties: false,
        },
        response: approvalResponse,
      },
    },
    decideApproval(deps, 'denied'),
  );
}
