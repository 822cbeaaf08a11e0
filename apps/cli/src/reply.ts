/**
 * How a command answers: one line of JSON on stdout under `--json`, text for a person otherwise.
 * Every command goes through these, so the `--json` contract and the exit codes live in one place
 * and a command reads as what it fetches plus how it shows it.
 */
import { type CommandContext, printJson } from './context.js';
import { formatTable } from './output.js';

/** Prints `json` under `--json`, else runs `human` to print text; exit code 0. */
export function reply(ctx: CommandContext, json: unknown, human: () => void): number {
  if (ctx.json) printJson(ctx, json);
  else human();
  return 0;
}

/** One column of a list: its header and how to show an item's cell (made terminal-safe by the table). */
export type Column<T> = readonly [header: string, cell: (item: T) => unknown];

/** How a list command shows its items. */
export interface ListView<T> {
  /** The key holding the list under `--json`: `tools` gives `{"tools": [...]}`. */
  jsonKey: string;
  /** The line printed instead of an empty table. */
  empty: string;
  columns: ReadonlyArray<Column<T>>;
}

/** Answers with `items`: `{jsonKey: items}` under `--json`, else `view.empty` or a table; exit code 0. */
export function replyList<T>(ctx: CommandContext, items: T[], view: ListView<T>): number {
  return reply(ctx, { [view.jsonKey]: items }, () => {
    if (items.length === 0) {
      ctx.io.out(`${view.empty}\n`);
      return;
    }
    const headers = view.columns.map(([header]) => header);
    ctx.io.out(
      formatTable(
        headers,
        items.map((item) => view.columns.map(([, cell]) => cell(item))),
      ),
    );
  });
}

/** A result that passed or failed a check (a policy, the receipt chain, an export). */
type Verdict = { ok: true } | { ok: false };

/**
 * Answers with a check's `result`: all of it under `--json`, else `human.passed` or `human.failed`
 * prints it. The exit code is 0 when it passed, `failedExit` when not, with or without `--json`.
 */
/**
 * What a `passed`/`failed` handler receives: the members of `R` with `ok: OK` when `R` is a union on
 * `ok`, or `R` itself when its `ok` is a plain boolean (a contract type).
 */
type Narrowed<R extends Verdict, OK extends boolean> = [Extract<R, { ok: OK }>] extends [never]
  ? boolean extends R['ok']
    ? R
    : never
  : Extract<R, { ok: OK }>;

export function replyVerdict<R extends Verdict>(
  ctx: CommandContext,
  result: R,
  failedExit: number,
  human: {
    passed: (result: Narrowed<R, true>) => void;
    failed: (result: Narrowed<R, false>) => void;
  },
): number {
  if (ctx.json) printJson(ctx, result);
  else if (result.ok) human.passed(result as Narrowed<R, true>);
  else human.failed(result as Narrowed<R, false>);
  return result.ok ? 0 : failedExit;
}

/** Label/value rows as two aligned columns, without a header line (`status`, `mcp show`, ...). */
export function formatFields(rows: unknown[][]): string {
  return formatTable(['', ''], rows).split('\n').slice(1).join('\n');
}
