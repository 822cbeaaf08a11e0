/**
 * Schemas several routes share. Fastify registers them with `addSchema` and the OpenAPI document
 * lists them under `components.schemas`, in this order; routes reference them with {@link Ref}.
 */
import { ERROR_CODES } from '@briefcase/core';
import { JsonObject, Nullable, Ref, Shared, StringEnum } from './schema-kit.js';
import { type Static, Type } from './type.js';

/** Amounts of money: integer micro-USD within the safe-integer range, or null for "no cap". */
export const NullableMicroUsd = Nullable(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }));

/** Why the pipeline decided what it decided. */
export const DecisionReason = Type.Object({
  stage: Type.String(),
  id: Type.String(),
  message: Type.String(),
});

/** Every error body the daemon returns. */
export const ErrorBody = Shared(
  'Error',
  Type.Object(
    {
      error: Type.Object({
        code: StringEnum(ERROR_CODES),
        message: Type.String(),
        approval_id: Type.Optional(Type.String()),
        details: Type.Optional(Type.Unknown()),
      }),
    },
    { description: 'Every error the daemon returns. `code` is stable; `message` says what a person can do.' },
  ),
);

/** Where a tool comes from. */
export const ToolSource = Shared(
  'ToolSource',
  Type.Object({
    kind: Type.String(),
    server: Type.Optional(Type.String()),
    upstreamName: Type.Optional(Type.String()),
  }),
);

/** A tool in the catalog, as agents and admins see it. */
export const Tool = Shared(
  'Tool',
  Type.Object({
    name: Type.String(),
    description: Type.String(),
    inputSchema: JsonObject({ additionalProperties: true }),
    outputSchema: Type.Optional(JsonObject({ additionalProperties: true })),
    category: Type.String(),
    effect: StringEnum(['read', 'write']),
    costMicroUsd: Type.Integer(),
    source: Ref(ToolSource),
  }),
);

/** The states of an approval request. */
export const APPROVAL_STATES = ['pending', 'approved', 'denied', 'expired', 'consumed'] as const;

/** An approval request; the arguments themselves are never stored, only their hash. */
export const Approval = Shared(
  'Approval',
  Type.Object({
    id: Type.String(),
    tool: Type.String(),
    argsHash: Type.String({ description: 'SHA-256 hex of the RFC 8785 canonical JSON of the arguments' }),
    summary: Type.String(),
    costMicroUsd: Type.Integer(),
    reasons: Type.Array(DecisionReason),
    state: StringEnum(APPROVAL_STATES),
    createdAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time' }),
    decidedAt: Nullable(Type.String()),
    decidedBy: Nullable(Type.String()),
    denyReason: Nullable(Type.String()),
  }),
);

const receiptFields = Type.Object(
  {
    v: Type.Integer(),
    seq: Type.Integer(),
    ts: Type.String(),
    kind: Type.String(),
    prevHash: Type.String(),
    hash: Type.String(),
    // The members of `tool_call` receipts that lists show; other kinds carry other members.
    tool: Type.Optional(Type.String()),
    outcome: Type.Optional(Type.String()),
    costMicroUsd: Type.Optional(Type.Integer()),
  },
  {
    description:
      'One link of the tamper-evident log. `hash` is SHA-256 over the RFC 8785 canonical JSON of every other member.',
    additionalProperties: true,
  },
);

/** One link of the receipt chain; the members beyond the common ones depend on `kind`. */
export const Receipt = Shared(
  'Receipt',
  Type.Unsafe<Static<typeof receiptFields> & { [member: string]: unknown }>(receiptFields),
);

/** A spending category's caps (null: no cap) and its spend so far in the UTC day and month. */
export const Budget = Shared(
  'Budget',
  Type.Object({
    category: Type.String(),
    dailyCapMicroUsd: NullableMicroUsd,
    monthlyCapMicroUsd: NullableMicroUsd,
    spentTodayMicroUsd: Type.Integer(),
    spentThisMonthMicroUsd: Type.Integer(),
  }),
);

/** The active Cedar policy set. */
export const Policy = Shared(
  'Policy',
  Type.Object({
    text: Type.String(),
    hash: Type.String(),
    updatedAt: Type.String({ format: 'date-time' }),
    policyIds: Type.Array(Type.String()),
  }),
);

/** The shared schemas, in the order of `components.schemas` in the OpenAPI document. */
export const SHARED_SCHEMAS = [ErrorBody, ToolSource, Tool, Approval, Receipt, Budget, Policy] as const;
