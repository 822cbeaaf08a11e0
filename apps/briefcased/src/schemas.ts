/**
 * JSON Schemas of the local API, shared by validation and the generated OpenAPI document.
 * Registered with `app.addSchema`, referenced as `{ $ref: '<Name>#' }`.
 */
const reason = {
  type: 'object',
  properties: { stage: { type: 'string' }, id: { type: 'string' }, message: { type: 'string' } },
  required: ['stage', 'id', 'message'],
};

const nullableString = { type: ['string', 'null'] };
const nullableMicroUsd = { type: ['integer', 'null'], minimum: 0, maximum: Number.MAX_SAFE_INTEGER };

export const SHARED_SCHEMAS = [
  {
    $id: 'Error',
    type: 'object',
    description: 'Every error the daemon returns. `code` is stable; `message` says what a person can do.',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: {
            type: 'string',
            enum: [
              'invalid_args',
              'denied',
              'approval_required',
              'budget_exceeded',
              'oauth_required',
              'revoked',
              'sandbox_violation',
              'upstream_error',
              'replay_detected',
              'not_found',
              'unauthorized',
              'internal_error',
            ],
          },
          message: { type: 'string' },
          approval_id: { type: 'string' },
          details: {},
        },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  },
  {
    $id: 'ToolSource',
    type: 'object',
    properties: {
      kind: { type: 'string' },
      server: { type: 'string' },
      upstreamName: { type: 'string' },
    },
    required: ['kind'],
  },
  {
    $id: 'Tool',
    type: 'object',
    properties: {
      name: { type: 'string' },
      description: { type: 'string' },
      inputSchema: { type: 'object', additionalProperties: true },
      outputSchema: { type: 'object', additionalProperties: true },
      category: { type: 'string' },
      effect: { type: 'string', enum: ['read', 'write'] },
      costMicroUsd: { type: 'integer' },
      source: { $ref: 'ToolSource#' },
    },
    required: ['name', 'description', 'inputSchema', 'category', 'effect', 'costMicroUsd', 'source'],
  },
  {
    $id: 'Approval',
    type: 'object',
    properties: {
      id: { type: 'string' },
      tool: { type: 'string' },
      argsHash: {
        type: 'string',
        description: 'SHA-256 hex of the RFC 8785 canonical JSON of the arguments',
      },
      summary: { type: 'string' },
      costMicroUsd: { type: 'integer' },
      reasons: { type: 'array', items: reason },
      state: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired', 'consumed'] },
      createdAt: { type: 'string', format: 'date-time' },
      expiresAt: { type: 'string', format: 'date-time' },
      decidedAt: nullableString,
      decidedBy: nullableString,
      denyReason: nullableString,
    },
    required: [
      'id',
      'tool',
      'argsHash',
      'summary',
      'costMicroUsd',
      'reasons',
      'state',
      'createdAt',
      'expiresAt',
    ],
  },
  {
    $id: 'Receipt',
    type: 'object',
    description:
      'One link of the tamper-evident log. `hash` is SHA-256 over the RFC 8785 canonical JSON of every other member.',
    properties: {
      v: { type: 'integer' },
      seq: { type: 'integer' },
      ts: { type: 'string' },
      kind: { type: 'string' },
      prevHash: { type: 'string' },
      hash: { type: 'string' },
    },
    required: ['v', 'seq', 'ts', 'kind', 'prevHash', 'hash'],
    additionalProperties: true,
  },
  {
    $id: 'Budget',
    type: 'object',
    properties: {
      category: { type: 'string' },
      dailyCapMicroUsd: nullableMicroUsd,
      monthlyCapMicroUsd: nullableMicroUsd,
      spentTodayMicroUsd: { type: 'integer' },
      spentThisMonthMicroUsd: { type: 'integer' },
    },
    required: [
      'category',
      'dailyCapMicroUsd',
      'monthlyCapMicroUsd',
      'spentTodayMicroUsd',
      'spentThisMonthMicroUsd',
    ],
  },
  {
    $id: 'Policy',
    type: 'object',
    properties: {
      text: { type: 'string' },
      hash: { type: 'string' },
      updatedAt: { type: 'string', format: 'date-time' },
      policyIds: { type: 'array', items: { type: 'string' } },
    },
    required: ['text', 'hash', 'updatedAt', 'policyIds'],
  },
] as const;

export const ref = (name: (typeof SHARED_SCHEMAS)[number]['$id']) => ({ $ref: `${name}#` });

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, ref('Error')]));

export const BUDGET_CAP = nullableMicroUsd;
