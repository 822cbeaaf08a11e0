import { defineRoute, errorResponses } from '../route.js';
import { Nullable, OneOf, OptionalBody, Ref, StringEnum } from '../schema-kit.js';
import { Receipt } from '../shared.js';
import { Type } from '../type.js';
import { PublicJwk } from './keys.js';

/** A chain head: the seq and hash of the newest receipt. */
export const ChainHead = Type.Object({ seq: Type.Integer(), hash: Type.String() });

/** A stored row that cannot be read as a receipt. */
export const UnreadableReceipt = Type.Object({ seq: Type.Integer(), reason: Type.String() });

/**
 * One line of `GET /v1/receipts/export`: a receipt, or, in place of a stored row that cannot be read,
 * `{"unreadable": {seq, reason}}` (the chain is broken there; the export still carries the rest).
 */
export const ExportLine = OneOf([
  Receipt,
  Type.Object({ unreadable: UnreadableReceipt }, { additionalProperties: false }),
]);

/** What the daemon does when its receipt chain is broken (`BRIEFCASE_ON_BROKEN_CHAIN`). */
export const ON_BROKEN_CHAIN = ['refuse-calls', 'warn', 'refuse-start'] as const;

/** The receipt chain's health as the daemon last checked it. */
export const ChainHealth = Type.Object(
  {
    ok: Type.Boolean(),
    checkedThrough: Type.Integer({ description: 'seq of the newest receipt checked' }),
    brokenAt: Nullable(Type.Integer({ description: 'seq of the first receipt that does not check out' })),
    reason: Nullable(Type.String()),
    onBroken: StringEnum(ON_BROKEN_CHAIN),
    callsRefused: Type.Boolean({
      description: 'True while tool calls are refused because the chain is broken.',
    }),
  },
  {
    description:
      'Checked in full at startup, then for what was appended since on every status request; a full `POST /v1/receipts/verify` or an unreadable row in a listing that finds a break updates it too.',
  },
);

export const listReceipts = defineRoute('GET', '/v1/receipts', {
  summary: 'List receipts, newest first',
  querystring: Type.Object({
    limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })),
    kind: Type.Optional(Type.String({ maxLength: 64 })),
  }),
  response: {
    200: Type.Object({
      receipts: Type.Array(Ref(Receipt)),
      unreadable: Type.Optional(
        Type.Array(UnreadableReceipt, {
          description:
            'Rows of this page that cannot be read as receipts (corrupted), newest first. They are left out of `receipts` so the rest can still be listed; the chain is broken there (see `POST /v1/receipts/verify`).',
        }),
      ),
    }),
    ...errorResponses(400, 401, 403),
  },
});

export const verifyReceipts = defineRoute('POST', '/v1/receipts/verify', {
  summary: 'Walk the receipt chain and report the first broken link',
  description:
    'A hash chain alone cannot show that its newest receipts were deleted. Pass a head recorded earlier (from a previous verify or export) as `expectedHead` to detect that too.',
  body: OptionalBody(
    Type.Object(
      {
        expectedHead: Type.Optional(
          Type.Object(
            {
              seq: Type.Integer({ minimum: 0 }),
              hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  response: {
    200: Type.Object({
      ok: Type.Boolean(),
      count: Type.Integer(),
      head: Type.Optional(ChainHead),
      brokenAt: Type.Optional(Type.Integer()),
      reason: Type.Optional(Type.String()),
    }),
    ...errorResponses(401, 403),
  },
});

export const receiptHead = defineRoute('GET', '/v1/receipts/head', {
  summary: 'The chain head, signed with the receipts key',
  description:
    'A compact JWS (typ `briefcase-receipt-head+jwt`, kid = RFC 7638 thumbprint of `key`) over `{seq, hash, ts, count, iat}` of the newest receipt. Pin `key`, export the receipts up to `seq` (`/v1/receipts/export?through=<seq>`), and the export can be verified offline: the chain, the signature, and that it ends at the signed head (so a cut-off export fails). The receipts key is created on first use.',
  response: {
    200: Type.Object({
      seq: Type.Integer(),
      hash: Type.String(),
      ts: Nullable(Type.String()),
      count: Type.Integer(),
      signedHead: Type.String(),
      key: PublicJwk,
      thumbprint: Type.String(),
    }),
    ...errorResponses(401, 403),
  },
});

export const exportReceipts = defineRoute('GET', '/v1/receipts/export', {
  summary: 'Every receipt, oldest first, as NDJSON (one receipt per line)',
  description:
    'With `through`, only receipts up to that seq: pass the seq of a signed head to export exactly the receipts it covers. A stored row that cannot be read is exported as `{"unreadable": {"seq", "reason"}}` in its place (see ExportLine).',
  produces: ['application/x-ndjson'],
  querystring: Type.Object({ through: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$' })) }),
  response: {
    200: Type.String({ description: 'application/x-ndjson' }),
    ...errorResponses(401, 403),
  },
});
