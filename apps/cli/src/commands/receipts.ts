import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Receipt, ReceiptHeadView } from '@briefcase/client';
import { BriefcaseError } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import type { CommandContext } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { inlineSafe, plural, usd } from '../output.js';
import { parseIntegerFlag } from '../parse.js';
import { readPinnedKey, verifyReceiptExport } from '../receipt-file.js';
import { formatFields, type ListView, reply, replyList, replyVerdict } from '../reply.js';

/** What a row that cannot be read shows in the KIND column. */
const UNREADABLE = 'UNREADABLE (corrupted)';

interface ListOptions {
  limit?: string;
  before?: string;
  kind?: string;
}

interface VerifyOptions {
  head?: string;
  file?: string;
  key?: string;
}

const RECEIPT_LIST: ListView<Receipt> = {
  jsonKey: 'receipts',
  empty: 'no receipts',
  columns: [
    ['SEQ', (r) => r.seq],
    ['TIME', (r) => r.ts],
    ['KIND', (r) => r.kind],
    ['TOOL', (r) => r.tool ?? ''],
    ['OUTCOME', (r) => r.outcome ?? ''],
    ['COST', (r) => (r.costMicroUsd === undefined ? '' : usd(r.costMicroUsd))],
    ['HASH', (r) => String(r.hash).slice(0, 16)],
  ],
};

/** `briefcase receipts list|verify|export|head`. */
export function registerReceipts(program: Command, act: ActionFactory): void {
  const receipts = program
    .command('receipts')
    .description('inspect and verify the tamper-evident receipt chain');

  receipts
    .command('list')
    .description('list receipts, newest first')
    .option('--limit <n>', 'how many (1-1000, default 50)')
    .option('--before <seq>', 'only receipts older than this sequence number')
    .option('--kind <kind>', 'only this kind, e.g. tool_call')
    .action(
      act<ListOptions>(async (ctx, _args, options) => {
        const query: { limit?: number; before?: number; kind?: string } = {};
        if (options.limit !== undefined) query.limit = parseIntegerFlag('--limit', options.limit, 1, 1000);
        if (options.before !== undefined) {
          query.before = parseIntegerFlag('--before', options.before, 0, Number.MAX_SAFE_INTEGER);
        }
        if (options.kind !== undefined) query.kind = options.kind;
        const page = await ctx.client().listReceiptPage(query);
        if (page.unreadable.length === 0) return replyList(ctx, page.receipts, RECEIPT_LIST);
        // Rows that cannot be read are shown where they are, marked, and the exit says the chain is broken.
        reply(ctx, page, () => {
          const rows: Receipt[] = [
            ...page.receipts,
            ...page.unreadable.map(
              ({ seq }) => ({ seq, ts: '', kind: UNREADABLE, hash: '' }) as unknown as Receipt,
            ),
          ].sort((a, b) => b.seq - a.seq);
          replyList({ ...ctx, json: false }, rows, RECEIPT_LIST);
          for (const row of page.unreadable) {
            ctx.io.err(`warning: ${inlineSafe(row.reason)}: the receipt chain is broken there\n`);
          }
          ctx.io.err('hint: run `briefcase receipts verify` for the first broken link.\n');
        });
        return EXIT.chainBroken;
      }),
    );

  receipts
    .command('verify')
    .description(
      'recompute every hash link of the receipt chain; with --file, verify an export offline against a pinned key',
    )
    .option('--head <seq:hash>', 'a head recorded earlier: also detect receipts deleted after it')
    .option('--file <file>', 'verify this export offline (no daemon needed); requires --key')
    .option(
      '--key <jwk>',
      'the public key to verify the signed head with: a JWK as JSON, or @FILE (as printed by `receipts head`)',
    )
    .action(
      act<VerifyOptions>(async (ctx, _args, options) => {
        const expectedHead = options.head === undefined ? undefined : parseHead(options.head);
        if (options.file !== undefined || options.key !== undefined) {
          return verifyFile(ctx, options, expectedHead);
        }
        const result = await ctx.client().verifyReceipts(expectedHead ? { expectedHead } : {});
        return replyVerdict(ctx, result, EXIT.chainBroken, {
          passed: ({ count, head }) => {
            const shown = head ? `, head ${head.seq} ${inlineSafe(String(head.hash))}` : '';
            ctx.io.out(`receipt chain intact: ${plural(count, 'receipt')}${shown}\n`);
            if (head && head.seq > 0) {
              ctx.io.err(
                `keep this head to detect deleted receipts later: briefcase receipts verify --head ${head.seq}:${inlineSafe(String(head.hash))}\n`,
              );
            }
          },
          failed: ({ brokenAt, reason }) =>
            ctx.io.out(`receipt chain BROKEN at receipt ${brokenAt}: ${inlineSafe(String(reason))}\n`),
        });
      }),
    );

  receipts
    .command('export')
    .description(
      'write every receipt as NDJSON (ascending seq) to a file or stdout, then one signed-head line for offline verification',
    )
    .option('--out <file>', 'write to this file (mode 0600, replaced atomically) instead of stdout')
    .action(
      act<{ out?: string }>(async (ctx, _args, options) => {
        if (options.out === undefined) {
          const { count, head } = await writeExport(ctx, (text) => ctx.io.outBulk(text));
          ctx.io.err(`exported ${plural(count, 'receipt')}${signedBy(head)}\n`);
          return 0;
        }
        const target = resolve(options.out);
        const { count, head } = await exportToFile(ctx, target);
        const signedHead = { seq: head.seq, hash: head.hash, thumbprint: head.thumbprint };
        return reply(ctx, { exported: count, file: target, signedHead }, () =>
          ctx.io.out(`exported ${plural(count, 'receipt')} to ${inlineSafe(target)}${signedBy(head)}\n`),
        );
      }),
    );

  receipts
    .command('head')
    .description('sign the chain head now and print the public key to pin for offline verification')
    .action(
      act(async (ctx) => {
        const head = await ctx.client().receiptHead();
        return reply(ctx, head, () => {
          ctx.io.out(
            formatFields([
              ['head', `${head.seq} ${head.hash}`],
              ['last receipt', head.ts ?? 'none'],
              ['key', `${head.thumbprint} (${head.key.kty} ${head.key.crv})`],
            ]),
          );
          ctx.io.err(
            'pin this public key (the last line) to verify exports offline: briefcase receipts verify --file EXPORT --key @KEYFILE\n',
          );
          ctx.io.out(`${JSON.stringify(head.key)}\n`);
        });
      }),
    );
}

const signedBy = (head: ReceiptHeadView) =>
  `, signed head at receipt ${head.seq} (key ${inlineSafe(head.thumbprint)})`;

/**
 * Writes an export: the daemon signs its current head first, then the receipts up to exactly that
 * head are streamed, then one line `{"signedHead", "key"}`. Receipts appended meanwhile are left for
 * the next export, so the file always ends at the head it carries.
 */
async function writeExport(
  ctx: CommandContext,
  write: (text: string) => Promise<void>,
): Promise<{ count: number; head: ReceiptHeadView }> {
  const client = ctx.client();
  const head = await client.receiptHead();
  let count = 0;
  let batch = '';
  for await (const line of client.exportReceiptLines({ through: head.seq })) {
    batch += `${line}\n`;
    count++;
    if (batch.length >= 64 * 1024) {
      await write(batch);
      batch = '';
    }
  }
  if (count !== head.seq) {
    throw new BriefcaseError(
      'internal_error',
      `the daemon exported ${plural(count, 'receipt')} but signed a head at receipt ${head.seq}; run \`briefcase receipts verify\``,
    );
  }
  batch += `${JSON.stringify({ signedHead: head.signedHead, key: head.key })}\n`;
  await write(batch);
  return { count, head };
}

/** Reads `--key`: inline JSON, or `@FILE` holding it. */
async function readKeyFlag(text: string) {
  let json = text;
  if (text.startsWith('@')) {
    const path = resolve(text.slice(1));
    try {
      json = await readFile(path, 'utf8');
    } catch (error) {
      throw new UsageError(`--key: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    // Not echoed: a private key pasted here must not end up in a terminal log.
    throw new UsageError('--key must be a JWK as JSON, or @FILE holding one');
  }
  const key = readPinnedKey(value);
  if (!key.ok) throw new UsageError(`--key: ${key.message}`);
  return key.jwk;
}

/** `receipts verify --file F --key K`: offline, never contacts the daemon. */
async function verifyFile(
  ctx: CommandContext,
  options: VerifyOptions,
  expectedHead: { seq: number; hash: string } | undefined,
): Promise<number> {
  if (options.file === undefined) throw new UsageError('--key is for --file: verify an export offline');
  if (options.key === undefined) {
    throw new UsageError(
      '--file needs --key: pin the public key from `briefcase receipts head` (the key inside the file proves nothing by itself)',
    );
  }
  const key = await readKeyFlag(options.key);
  const path = resolve(options.file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--file: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const result = await verifyReceiptExport(text, key, expectedHead ? { expectedHead } : {});
  return replyVerdict(ctx, result, EXIT.chainBroken, {
    passed: ({ count, head, signed, thumbprint }) => {
      const signedAt = signed.iat === undefined ? '' : ` at ${new Date(signed.iat * 1000).toISOString()}`;
      ctx.io.out(
        `receipt export verified: ${plural(count, 'receipt')}, chain intact, head ${head.seq} ${head.hash} signed by key ${inlineSafe(thumbprint)}${signedAt}\n`,
      );
    },
    failed: ({ message }) => ctx.io.out(`receipt export FAILED verification: ${inlineSafe(message)}\n`),
  });
}

/**
 * Streams the export into a temp file next to `target`, fsyncs it, then renames it over
 * `target`: readers see the old file or the complete new one, never a torn export.
 */
async function exportToFile(
  ctx: CommandContext,
  target: string,
): Promise<{ count: number; head: ReceiptHeadView }> {
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(temp, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${target}: ${error.code ?? error.message}`);
  });
  let written: { count: number; head: ReceiptHeadView };
  try {
    await file.chmod(0o600); // in case of an unusual umask; O_CREAT mode is already 0600
    written = await writeExport(ctx, (text) => file.writeFile(text));
    await file.sync();
    await file.close();
    await rename(temp, target);
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  return written;
}

/** Parses `SEQ:HASH` as printed by `receipts verify`. */
function parseHead(text: string): { seq: number; hash: string } {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!match) throw new UsageError('--head takes SEQ:HASH as printed by `briefcase receipts verify`');
  return { seq: Number(match[1]), hash: match[2] as string };
}
