import { Readable } from 'node:stream';
import type { KeyStore } from '@briefcase/keys';
import type { ReceiptLog } from '@briefcase/receipts';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import { signReceiptHead } from '../receipt-head.js';
import { errorResponses, ref } from '../schemas.js';
import { PUBLIC_JWK_SCHEMA } from './keys.js';

const EXPORT_PAGE = 500;

/** What the receipt routes read: the append-only receipt log, and the key store that signs its head. */
export interface ReceiptRouteDeps {
  receipts: ReceiptLog;
  keys: KeyStore;
  clock: () => Date;
}

/**
 * Registers the admin's receipt routes: list (newest first), verify the chain, sign the head, export
 * as NDJSON.
 */
export function registerReceiptRoutes(app: FastifyInstance, deps: ReceiptRouteDeps): void {
  app.get(
    '/v1/receipts',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'List receipts, newest first',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
            before: { type: 'string', pattern: '^[0-9]{1,15}$' },
            kind: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { receipts: { type: 'array', items: ref('Receipt') } },
            required: ['receipts'],
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query as { limit?: string; before?: string; kind?: string };
      return {
        receipts: deps.receipts.list({
          limit: Math.min(Math.max(Number(q.limit ?? 50), 1), 1000),
          ...(q.before !== undefined ? { beforeSeq: Number(q.before) } : {}),
          ...(q.kind !== undefined ? { kind: q.kind } : {}),
        }),
      };
    },
  );

  app.post(
    '/v1/receipts/verify',
    {
      config: { roles: ADMIN, admin: 'read' },
      schema: {
        summary: 'Walk the receipt chain and report the first broken link',
        description:
          'A hash chain alone cannot show that its newest receipts were deleted. Pass a head recorded earlier (from a previous verify or export) as `expectedHead` to detect that too.',
        body: {
          type: ['object', 'null'],
          properties: {
            expectedHead: {
              type: 'object',
              properties: {
                seq: { type: 'integer', minimum: 0 },
                hash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
              },
              required: ['seq', 'hash'],
              additionalProperties: false,
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              count: { type: 'integer' },
              head: {
                type: 'object',
                properties: { seq: { type: 'integer' }, hash: { type: 'string' } },
                required: ['seq', 'hash'],
              },
              brokenAt: { type: 'integer' },
              reason: { type: 'string' },
            },
            required: ['ok', 'count'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request) => {
      const expectedHead = (request.body as { expectedHead?: { seq: number; hash: string } } | null)
        ?.expectedHead;
      return deps.receipts.verify(expectedHead ? { expectedHead } : {});
    },
  );

  app.get(
    '/v1/receipts/head',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'The chain head, signed with the receipts key',
        description:
          'A compact JWS (typ `briefcase-receipt-head+jwt`, kid = RFC 7638 thumbprint of `key`) over `{seq, hash, ts, count, iat}` of the newest receipt. Pin `key`, export the receipts up to `seq` (`/v1/receipts/export?through=<seq>`), and the export can be verified offline: the chain, the signature, and that it ends at the signed head (so a cut-off export fails). The receipts key is created on first use.',
        response: {
          200: {
            type: 'object',
            properties: {
              seq: { type: 'integer' },
              hash: { type: 'string' },
              ts: { type: ['string', 'null'] },
              count: { type: 'integer' },
              signedHead: { type: 'string' },
              key: PUBLIC_JWK_SCHEMA,
              thumbprint: { type: 'string' },
            },
            required: ['seq', 'hash', 'ts', 'count', 'signedHead', 'key', 'thumbprint'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async () => signReceiptHead(deps.receipts, deps.keys, deps.clock),
  );

  app.get(
    '/v1/receipts/export',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Every receipt, oldest first, as NDJSON (one receipt per line)',
        description:
          'With `through`, only receipts up to that seq: pass the seq of a signed head to export exactly the receipts it covers.',
        produces: ['application/x-ndjson'],
        querystring: {
          type: 'object',
          properties: { through: { type: 'string', pattern: '^[0-9]{1,15}$' } },
        },
        response: {
          200: { type: 'string', description: 'application/x-ndjson' },
          ...errorResponses(401, 403),
        },
      },
    },
    async (request, reply) => {
      const { through } = request.query as { through?: string };
      const lastSeq = through === undefined ? Number.POSITIVE_INFINITY : Number(through);
      // Pages, not one long-lived cursor: better-sqlite3 refuses writes on a connection while an
      // iterator is open, and tool calls must keep writing receipts while a slow reader exports.
      const lines = (function* () {
        let fromSeq = 1;
        for (;;) {
          const page: string[] = [];
          let done = false;
          for (const receipt of deps.receipts.iterate({ fromSeq })) {
            if (receipt.seq > lastSeq) {
              done = true;
              break;
            }
            page.push(`${JSON.stringify(receipt)}\n`);
            fromSeq = receipt.seq + 1;
            if (page.length === EXPORT_PAGE) break;
          }
          if (page.length > 0) yield page.join('');
          if (done || page.length < EXPORT_PAGE) return;
        }
      })();
      return reply.type('application/x-ndjson').send(Readable.from(lines));
    },
  );
}
