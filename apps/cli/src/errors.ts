import { type DaemonUnavailableError, isDaemonUnavailableError } from '@briefcase/client';
import { type Approval, ERROR_CATALOG, errorHint, isBriefcaseError, isRecord } from '@briefcase/core';
import type { Io } from './io.js';
import { inlineSafe, shellQuote, terminalSafe, usd } from './output.js';

/** Exit codes the CLI adds around ERROR_CATALOG's per-code ones (see the API contract). */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  daemonUnavailable: 3,
  chainBroken: 15,
  /** Ctrl-C ended a wait (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;

/** A mistake in how the CLI was invoked (exit 2). Nothing was sent to the daemon. */
export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** What the error renderer needs to know about the command that failed. */
export interface ErrorContext {
  json: boolean;
  /** Global flags to repeat in suggested commands (e.g. `--data-dir X`). */
  prefix: string;
  /** How the person runs the CLI, with {@link prefix}: `briefcase --data-dir X`, `npx briefcase`, … */
  cli: string;
  /** For a failed tool call: how to retry it, without the `--approval` flag. */
  retry?: string;
  /** Hints that fit this command better than ERROR_CATALOG's generic ones. */
  hints?: Partial<Record<string, string>>;
  /** When the daemon is unreachable: where else to look (an `npm start` data dir found nearby). */
  daemonHint?: string;
}

interface Rendered {
  exitCode: number;
  code: string;
  message: string;
  hint?: string;
  approvalId?: string;
  details?: unknown;
}

function classify(error: unknown): Rendered {
  if (error instanceof UsageError) {
    return {
      exitCode: EXIT.usage,
      code: 'usage_error',
      message: error.message,
      hint: 'Run `briefcase --help`.',
    };
  }
  if (isDaemonUnavailableError(error)) {
    const e = error as DaemonUnavailableError;
    return { exitCode: EXIT.daemonUnavailable, code: 'daemon_unavailable', message: e.message, hint: e.hint };
  }
  if (isBriefcaseError(error)) {
    const rendered: Rendered = {
      exitCode: ERROR_CATALOG[error.code].exitCode,
      code: error.code,
      message: error.message,
      // A denial's hint depends on who refused it (details.deniedBy): policy, person, approval id…
      hint: errorHint(error.code, error.details, 'person'),
    };
    if (error.approvalId !== undefined) rendered.approvalId = error.approvalId;
    if (error.details !== undefined) rendered.details = error.details;
    return rendered;
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    exitCode: EXIT.internal,
    code: 'internal_error',
    message: `unexpected failure: ${message}`,
    hint: 'This is a bug in briefcase; please report it with the command you ran.',
  };
}

function asApproval(value: unknown): Approval | undefined {
  const candidate = (value as { approval?: unknown } | null)?.approval;
  if (!isRecord(candidate)) return undefined;
  const a = candidate as Partial<Approval>;
  return typeof a.id === 'string' && typeof a.summary === 'string' ? (a as Approval) : undefined;
}

/** `details.errors` items: `{path, message}` for arguments, `{policyId, message}` for policies. */
function listProblems(details: unknown): string[] {
  const errors = (details as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.slice(0, 50).map((item) => {
    const e = (item ?? {}) as { path?: unknown; policyId?: unknown; message?: unknown };
    const where =
      typeof e.path === 'string' ? e.path || '/' : typeof e.policyId === 'string' ? e.policyId : '';
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(item);
    return `  - ${where === '' ? '' : `${inlineSafe(where)}: `}${inlineSafe(message)}`;
  });
}

/**
 * Names the CLI in a daemon's or the catalog's text the way this person runs it: those say
 * `briefcase …` (the installed command), which may not be on their PATH.
 */
export function nameCli(text: string, cli: string): string {
  return cli === 'briefcase' ? text : text.replaceAll('`briefcase ', `\`${cli} `);
}

function renderHuman(r: Rendered, ctx: ErrorContext, io: Io): void {
  io.err(`error[${r.code}]: ${terminalSafe(nameCli(r.message, ctx.cli))}\n`);
  for (const line of listProblems(r.details)) io.err(`${line}\n`);
  if (r.code === 'approval_required' && r.approvalId !== undefined) {
    const id = shellQuote(r.approvalId);
    const approval = asApproval(r.details);
    if (approval !== undefined) {
      io.err(`  approval  ${inlineSafe(approval.id)}\n`);
      io.err(`  summary   ${inlineSafe(approval.summary)}\n`);
      io.err(`  cost      ${usd(approval.costMicroUsd)}\n`);
      for (const reason of Array.isArray(approval.reasons) ? approval.reasons.slice(0, 10) : []) {
        io.err(
          `  why       ${inlineSafe(String(reason?.id ?? ''))}: ${inlineSafe(String(reason?.message ?? ''))}\n`,
        );
      }
      if (typeof approval.expiresAt === 'string') io.err(`  expires   ${inlineSafe(approval.expiresAt)}\n`);
    } else {
      io.err(`  approval  ${inlineSafe(r.approvalId)}\n`);
    }
    io.err(`approve it:  ${ctx.cli} approvals approve ${id}\n`);
    if (ctx.retry !== undefined) io.err(`then retry:  ${ctx.retry} --approval ${id}\n`);
    else io.err('then retry the same call.\n');
    io.err(`or deny it:  ${ctx.cli} approvals deny ${id}\n`);
    return;
  }
  if (r.hint !== undefined) io.err(`hint: ${nameCli(r.hint, ctx.cli)}\n`);
}

/**
 * Prints `error` the way the contract asks (JSON on stdout with `--json`, otherwise
 * `error[<code>]: <message>` and a hint on stderr) and returns the process exit code.
 */
export function reportError(error: unknown, ctx: ErrorContext, io: Io): number {
  const r = classify(error);
  const hint = ctx.hints?.[r.code];
  if (hint !== undefined) r.hint = hint;
  if (r.code === 'daemon_unavailable' && ctx.daemonHint !== undefined) r.hint = ctx.daemonHint;
  if (ctx.json) {
    const body: Record<string, unknown> = { code: r.code, message: r.message };
    if (r.approvalId !== undefined) body.approval_id = r.approvalId;
    if (r.details !== undefined) body.details = r.details;
    if (r.hint !== undefined) body.hint = r.hint;
    io.out(`${JSON.stringify({ error: body })}\n`);
  } else {
    renderHuman(r, ctx, io);
  }
  return r.exitCode;
}
