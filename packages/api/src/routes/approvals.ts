import { MAX_APPROVAL_ID_LENGTH } from '@briefcase/core';
import { defineRoute, errorResponses } from '../route.js';
import { OptionalBody, Ref, StringEnum } from '../schema-kit.js';
import { APPROVAL_STATES, Approval } from '../shared.js';
import { Type } from '../type.js';

const approvalParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: MAX_APPROVAL_ID_LENGTH }) });
const oneApproval = {
  200: Type.Object({ approval: Ref(Approval) }),
  ...errorResponses(400, 401, 403, 404, 409),
};

/** A decision's answer: the approval, and whether an agent's call was held waiting for it. */
const decidedApproval = {
  200: Type.Object({
    approval: Ref(Approval),
    callWaiting: Type.Boolean({
      description:
        "True when an agent's call was held waiting for this decision: it resumes now (and, once approved, uses the approval itself). False when no call was waiting: after an approval the agent must repeat the same call once; after a denial, repeating it is refused.",
    }),
  }),
  ...errorResponses(400, 401, 403, 404, 409),
};

/** What happened to an approval, as pushed on the approval stream. */
export const APPROVAL_EVENT_TYPES = ['created', 'approved', 'denied', 'expired', 'consumed'] as const;

/** The data of the stream's first event, `snapshot`: the pending approvals. */
export const ApprovalSnapshotEvent = Type.Object({ approvals: Type.Array(Ref(Approval)) });

/** The data of every later `approval` event of the stream. */
export const ApprovalChangeEvent = Type.Object({
  type: StringEnum(APPROVAL_EVENT_TYPES),
  approval: Ref(Approval),
});

export const listApprovals = defineRoute('GET', '/v1/approvals', {
  summary: 'List approval requests, newest first',
  querystring: Type.Object({
    state: Type.Optional(StringEnum([...APPROVAL_STATES, 'all'])),
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
  }),
  response: {
    200: Type.Object({ approvals: Type.Array(Ref(Approval)) }),
    ...errorResponses(400, 401, 403),
  },
});

export const approvalStream = defineRoute('GET', '/v1/approvals/stream', {
  summary: 'Server-Sent Events stream of approval changes',
  description:
    'First an `event: snapshot` with `{"approvals": [pending…]}`, then `event: approval` with `{"type": "created"|"approved"|"denied"|"expired"|"consumed", "approval": Approval}`. A `: ping` comment every 15 s keeps proxies from closing it.',
  produces: ['text/event-stream'],
  response: { 200: Type.String({ description: 'text/event-stream' }), ...errorResponses(401, 403) },
});

export const getApproval = defineRoute('GET', '/v1/approvals/:id', {
  summary: 'One approval request',
  params: approvalParams,
  response: oneApproval,
});

export const approveApproval = defineRoute('POST', '/v1/approvals/:id/approve', {
  summary: 'Approve a pending request (single use, bound to the exact tool and arguments)',
  params: approvalParams,
  body: OptionalBody(Type.Object({}, { additionalProperties: false })),
  response: decidedApproval,
});

export const denyApproval = defineRoute('POST', '/v1/approvals/:id/deny', {
  summary: 'Deny a pending request',
  params: approvalParams,
  body: OptionalBody(
    Type.Object({ reason: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }),
  ),
  response: decidedApproval,
});
