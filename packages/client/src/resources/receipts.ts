import { compileCheck, ExportLine, listReceipts, receiptHead, verifyReceipts } from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import { type DaemonHttp, unexpected } from '../daemon-http.js';
import { createLineSplitter } from '../lines.js';
import { mapTransportError } from '../transport.js';
import type {
  ListReceiptsOptions,
  ReceiptExportEntry,
  ReceiptHeadView,
  ReceiptPage,
  ReceiptVerification,
  Receipt as ReceiptView,
} from '../types.js';
import type { ExportReceiptsOptions, RequestOptions } from './options.js';

/** The receipt chain: list, verify, the signed head, and the export. */
export interface ReceiptMethods {
  listReceipts(options?: ListReceiptsOptions & RequestOptions): Promise<ReceiptView[]>;
  /**
   * Like {@link ReceiptMethods.listReceipts}, with the rows of the page that could not be read
   * (corrupted: the chain is broken there) named in `unreadable` instead of hidden.
   */
  listReceiptPage(options?: ListReceiptsOptions & RequestOptions): Promise<ReceiptPage>;
  /**
   * Walks the chain. With `expectedHead` (a `{seq, hash}` recorded earlier) it also detects that
   * receipts after that point were deleted, which a hash chain alone cannot show.
   */
  verifyReceipts(
    options?: RequestOptions & { expectedHead?: { seq: number; hash: string } },
  ): Promise<ReceiptVerification>;
  /**
   * All receipts (up to seq `through`, when given), ascending seq, parsed one NDJSON line at a time;
   * a stored row that cannot be read comes as `{ unreadable: {seq, reason} }` in its place.
   */
  exportReceipts(options?: ExportReceiptsOptions): AsyncIterable<ReceiptExportEntry>;
  /** The export's raw NDJSON lines (each checked against the contract), byte-for-byte as sent. */
  exportReceiptLines(options?: ExportReceiptsOptions): AsyncIterable<string>;
  /**
   * The chain head signed with the receipts key (created on first use) and the public key that
   * verifies it. Export with `through: head.seq` to get exactly the receipts the head covers.
   */
  receiptHead(options?: RequestOptions): Promise<ReceiptHeadView>;
}

const list = compileCheck(listReceipts.schema.response[200]);
const verification = compileCheck(verifyReceipts.schema.response[200]);
const head = compileCheck(receiptHead.schema.response[200]);
const exportLine = compileCheck(ExportLine);

export function receiptMethods(http: DaemonHttp): ReceiptMethods {
  /** One page of `GET /v1/receipts`, checked against the contract. */
  function listPage(opts: ListReceiptsOptions & RequestOptions) {
    const query = new URLSearchParams();
    if (opts.limit !== undefined) query.set('limit', String(opts.limit));
    if (opts.before !== undefined) query.set('before', String(opts.before));
    if (opts.kind !== undefined) query.set('kind', opts.kind);
    const qs = query.toString();
    const path = qs === '' ? '/v1/receipts' : `/v1/receipts?${qs}`;
    return http.json({ method: 'GET', path, signal: opts.signal }, list);
  }

  /** Each line of the export with its parsed receipt, checked against the contract. */
  async function* exportLines(
    opts: ExportReceiptsOptions,
  ): AsyncGenerator<{ line: string; entry: ReceiptExportEntry }> {
    if (opts.through !== undefined && (!Number.isSafeInteger(opts.through) || opts.through < 0)) {
      throw new BriefcaseError('invalid_args', 'through must be a non-negative integer');
    }
    const route = 'GET /v1/receipts/export';
    const path =
      opts.through === undefined ? '/v1/receipts/export' : `/v1/receipts/export?through=${opts.through}`;
    const res = await http.open({ method: 'GET', path, accept: 'application/x-ndjson', signal: opts.signal });
    const splitter = createLineSplitter({ maxLineBytes: http.maxLineBytes, breaks: 'lf' });
    const parse = (line: string) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw unexpected(route, 'a line is not JSON');
      }
      if (!exportLine(parsed)) {
        throw unexpected(route, `a line is not a receipt: ${exportLine.firstError(parsed)}`);
      }
      return { line, entry: parsed as ReceiptExportEntry };
    };
    try {
      for await (const chunk of res) {
        for (const line of splitter.push(chunk)) if (line.trim() !== '') yield parse(line);
      }
      for (const line of splitter.end()) if (line.trim() !== '') yield parse(line);
    } catch (error) {
      throw mapTransportError(error, http.endpoint);
    } finally {
      // Also runs when the consumer stops early: drop the connection instead of draining it.
      res.destroy();
    }
  }

  return {
    async listReceipts(opts = {}) {
      return (await listPage(opts)).receipts;
    },

    async listReceiptPage(opts = {}) {
      const page = await listPage(opts);
      return { receipts: page.receipts, unreadable: page.unreadable ?? [] };
    },

    verifyReceipts: (opts = {}) =>
      http.json(
        {
          method: 'POST',
          path: '/v1/receipts/verify',
          body: opts.expectedHead ? { expectedHead: opts.expectedHead } : {},
          signal: opts.signal,
        },
        verification,
      ),

    async *exportReceipts(opts = {}) {
      for await (const { entry } of exportLines(opts)) yield entry;
    },

    async *exportReceiptLines(opts = {}) {
      for await (const { line } of exportLines(opts)) yield line;
    },

    receiptHead: (opts = {}) =>
      http.json({ method: 'GET', path: '/v1/receipts/head', signal: opts.signal }, head),
  };
}
