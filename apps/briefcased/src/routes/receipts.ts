import { Readable } from 'node:stream';
import { exportReceipts, listReceipts, receiptHead, verifyReceipts } from '@briefcase/api';
import type { KeyStore } from '@briefcase/keys';
import type { Receipt, ReceiptLog, UnreadableReceipt } from '@briefcase/receipts';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { ChainHealth } from '../chain-health.js';
import { signReceiptHead } from '../receipt-head.js';

const EXPORT_PAGE = 500;

/** What the receipt routes read: the append-only receipt log, and the key store that signs its head. */
export interface ReceiptRouteDeps {
  receipts: ReceiptLog;
  /** Told of breaks that listings and verifications find. */
  chain?: ChainHealth;
  keys: KeyStore;
  clock: () => Date;
}

/**
 * Registers the admin's receipt routes: list (newest first), verify the chain, sign the head, export
 * as NDJSON.
 */
export function registerReceiptRoutes(app: FastifyInstance, deps: ReceiptRouteDeps): void {
  app.get(
    listReceipts.url,
    {
      config: { roles: ADMIN },
      schema: listReceipts.schema,
    },
    async (request) => {
      const q = request.query as { limit?: string; before?: string; kind?: string };
      // One corrupt row must not hide the rest: it is named in `unreadable`, and the chain is broken.
      const page = deps.receipts.listReadable({
        limit: Math.min(Math.max(Number(q.limit ?? 50), 1), 1000),
        ...(q.before !== undefined ? { beforeSeq: Number(q.before) } : {}),
        ...(q.kind !== undefined ? { kind: q.kind } : {}),
      });
      if (page.unreadable.length > 0) deps.chain?.noteUnreadable(page.unreadable);
      return page;
    },
  );

  app.post(
    verifyReceipts.url,
    {
      config: { roles: ADMIN, admin: 'read' },
      schema: verifyReceipts.schema,
    },
    async (request) => {
      const expectedHead = (request.body as { expectedHead?: { seq: number; hash: string } } | null)
        ?.expectedHead;
      const result = deps.receipts.verify(expectedHead ? { expectedHead } : {});
      deps.chain?.noteVerified(result);
      return result;
    },
  );

  app.get(
    receiptHead.url,
    {
      config: { roles: ADMIN },
      schema: receiptHead.schema,
    },
    async () => signReceiptHead(deps.receipts, deps.keys, deps.clock),
  );

  app.get(
    exportReceipts.url,
    {
      config: { roles: ADMIN },
      schema: exportReceipts.schema,
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
          // A corrupted row becomes an `{"unreadable": {seq, reason}}` line: the export carries
          // every other receipt, and its verification names the hole instead of a truncated file.
          for (const entry of deps.receipts.iterateReadable({ fromSeq })) {
            const seq = isReceipt(entry) ? entry.seq : entry.unreadable.seq;
            if (seq > lastSeq) {
              done = true;
              break;
            }
            page.push(`${JSON.stringify(entry)}\n`);
            fromSeq = seq + 1;
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

/** A readable receipt (it has its hash), not the marker of a corrupted row. */
function isReceipt(entry: Receipt | { unreadable: UnreadableReceipt }): entry is Receipt {
  return typeof (entry as { hash?: unknown }).hash === 'string';
}
