import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { type CommandContext, printJson } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatTable, inlineSafe, plural, usd } from '../output.js';
import { parseIntegerFlag } from '../parse.js';

interface ListOptions {
  limit?: string;
  before?: string;
  kind?: string;
}

/** `briefcase receipts list|verify|export`. */
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
        const list = await ctx.client().listReceipts(query);
        if (ctx.json) {
          printJson(ctx, { receipts: list });
          return 0;
        }
        if (list.length === 0) {
          ctx.io.out('no receipts\n');
          return 0;
        }
        ctx.io.out(
          formatTable(
            ['SEQ', 'TIME', 'KIND', 'TOOL', 'OUTCOME', 'COST', 'HASH'],
            list.map((r) => [
              r.seq,
              r.ts,
              r.kind,
              r.tool ?? '',
              r.outcome ?? '',
              r.costMicroUsd === undefined ? '' : usd(r.costMicroUsd),
              String(r.hash).slice(0, 16),
            ]),
          ),
        );
        return 0;
      }),
    );

  receipts
    .command('verify')
    .description('recompute every hash link of the receipt chain')
    .option('--head <seq:hash>', 'a head recorded earlier: also detect receipts deleted after it')
    .action(
      act<{ head?: string }>(async (ctx, _args, options) => {
        const expectedHead = options.head === undefined ? undefined : parseHead(options.head);
        const result = await ctx.client().verifyReceipts(expectedHead ? { expectedHead } : {});
        if (ctx.json) printJson(ctx, result);
        if (!result.ok) {
          if (!ctx.json) {
            ctx.io.out(
              `receipt chain BROKEN at receipt ${result.brokenAt}: ${inlineSafe(String(result.reason))}\n`,
            );
          }
          return EXIT.chainBroken;
        }
        if (!ctx.json) {
          const head = result.head ? `, head ${result.head.seq} ${inlineSafe(String(result.head.hash))}` : '';
          ctx.io.out(`receipt chain intact: ${plural(result.count, 'receipt')}${head}\n`);
          if (result.head && result.head.seq > 0) {
            ctx.io.err(
              `keep this head to detect deleted receipts later: briefcase receipts verify --head ${result.head.seq}:${inlineSafe(String(result.head.hash))}\n`,
            );
          }
        }
        return 0;
      }),
    );

  receipts
    .command('export')
    .description('write every receipt as NDJSON (ascending seq) to a file or stdout')
    .option('--out <file>', 'write to this file (mode 0600, replaced atomically) instead of stdout')
    .action(
      act<{ out?: string }>(async (ctx, _args, options) => {
        if (options.out === undefined) {
          let count = 0;
          for await (const line of ctx.client().exportReceiptLines()) {
            await ctx.io.outBulk(`${line}\n`);
            count++;
          }
          ctx.io.err(`exported ${plural(count, 'receipt')}\n`);
          return 0;
        }
        const target = resolve(options.out);
        const count = await exportToFile(ctx, target);
        if (ctx.json) printJson(ctx, { exported: count, file: target });
        else ctx.io.out(`exported ${plural(count, 'receipt')} to ${inlineSafe(target)}\n`);
        return 0;
      }),
    );
}

/**
 * Streams the export into a temp file next to `target`, fsyncs it, then renames it over
 * `target`: readers see the old file or the complete new one, never a torn export.
 */
async function exportToFile(ctx: CommandContext, target: string): Promise<number> {
  const temp = join(
    dirname(target),
    `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const file = await open(temp, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${target}: ${error.code ?? error.message}`);
  });
  let count = 0;
  try {
    await file.chmod(0o600); // in case of an unusual umask; O_CREAT mode is already 0600
    let batch = '';
    for await (const line of ctx.client().exportReceiptLines()) {
      batch += `${line}\n`;
      count++;
      if (batch.length >= 64 * 1024) {
        await file.writeFile(batch);
        batch = '';
      }
    }
    if (batch !== '') await file.writeFile(batch);
    await file.sync();
    await file.close();
    await rename(temp, target);
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw error;
  }
  return count;
}

/** Parses `SEQ:HASH` as printed by `receipts verify`. */
function parseHead(text: string): { seq: number; hash: string } {
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!match) throw new UsageError('--head takes SEQ:HASH as printed by `briefcase receipts verify`');
  return { seq: Number(match[1]), hash: match[2] as string };
}
