import type { ChainHealth as ChainHealthSchema, ON_BROKEN_CHAIN, Static } from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import {
  type ChainHead,
  GENESIS_HASH,
  type ReceiptLog,
  type UnreadableReceipt,
  type VerifyResult,
} from '@briefcase/receipts';

/** What the daemon does about a broken receipt chain (`BRIEFCASE_ON_BROKEN_CHAIN`). */
export type OnBrokenChain = (typeof ON_BROKEN_CHAIN)[number];

/** The chain's health as `GET /v1/status` reports it. */
export type ChainHealthView = Static<typeof ChainHealthSchema>;

/**
 * The default: refuse tool calls, keep serving the person. Fail closed (a log that can no longer
 * prove what happened must not go on recording new effects as if it could), yet not `refuse-start`:
 * a daemon that will not start cannot show the person the break (`briefcase status`,
 * `receipts list`, `verify`, `export` all go through it).
 */
export const DEFAULT_ON_BROKEN_CHAIN: OnBrokenChain = 'refuse-calls';

/** `BRIEFCASE_ON_BROKEN_CHAIN` as a mode; throws on anything else, so a typo cannot weaken it. */
export function onBrokenChainFromEnv(value: string | undefined): OnBrokenChain {
  if (value === undefined || value === '') return DEFAULT_ON_BROKEN_CHAIN;
  if (value === 'warn' || value === 'refuse-calls' || value === 'refuse-start') return value;
  throw new Error('BRIEFCASE_ON_BROKEN_CHAIN must be "refuse-calls" (the default), "warn" or "refuse-start"');
}

/** Where the log tells the person how to look at a broken chain and go on. */
const WHAT_TO_DO =
  'Look at it with `briefcase receipts verify` and `briefcase receipts list`, keep a copy with `briefcase receipts export`; to accept the break and run calls again, restart briefcased with BRIEFCASE_ON_BROKEN_CHAIN=warn.';

/** The daemon's watch over its receipt chain. */
export interface ChainHealth {
  /** Checks what was appended since the last check, and returns the health to report. */
  check(): ChainHealthView;
  /** Takes in the outcome of a full verification someone asked for. */
  noteVerified(result: VerifyResult): void;
  /** Takes in rows a listing could not read. */
  noteUnreadable(rows: readonly UnreadableReceipt[]): void;
  /** The refusal to answer a tool call with, or undefined when calls may run. */
  refusal(): BriefcaseError | undefined;
}

/**
 * Verifies the whole chain once (at startup) and keeps its health: a break is logged loudly, and,
 * as `mode` says, refuses tool calls from then on or (at startup) throws so the daemon does not
 * start. Later checks walk only what was appended since; a break once found stays until restart.
 */
export function createChainHealth(deps: {
  receipts: ReceiptLog;
  mode: OnBrokenChain;
  log: { error(fields: object, msg: string): void };
}): ChainHealth {
  const { receipts, mode, log } = deps;
  let verified: ChainHead = { seq: 0, hash: GENESIS_HASH };
  let broken: { brokenAt: number; reason: string } | undefined;

  const markBroken = (brokenAt: number, reason: string) => {
    if (broken !== undefined && broken.brokenAt <= brokenAt) return;
    const first = broken === undefined;
    broken = { brokenAt, reason };
    if (first) {
      log.error(
        { brokenAt, reason, onBrokenChain: mode },
        `the receipt chain is BROKEN at receipt ${brokenAt}: ${reason}. ${
          mode === 'refuse-calls'
            ? 'Tool calls are refused until briefcased restarts with BRIEFCASE_ON_BROKEN_CHAIN=warn. '
            : ''
        }${WHAT_TO_DO}`,
      );
    }
  };

  const take = (result: VerifyResult) => {
    if (result.ok) verified = result.head;
    else markBroken(result.brokenAt, result.reason);
  };

  take(receipts.verify());
  if (broken !== undefined && mode === 'refuse-start') {
    throw new Error(
      `the receipt chain is broken at receipt ${broken.brokenAt} (${broken.reason}), so briefcased does not start (BRIEFCASE_ON_BROKEN_CHAIN=refuse-start). Start it with BRIEFCASE_ON_BROKEN_CHAIN=refuse-calls to look at the log while calls stay refused.`,
    );
  }

  const view = (): ChainHealthView => ({
    ok: broken === undefined,
    checkedThrough: verified.seq,
    brokenAt: broken?.brokenAt ?? null,
    reason: broken?.reason ?? null,
    onBroken: mode,
    callsRefused: broken !== undefined && mode === 'refuse-calls',
  });

  return {
    check() {
      if (broken !== undefined) return view();
      const head = receipts.head();
      if (head.seq < verified.seq) {
        // Receipts that were checked are gone: the newest ones were deleted behind the daemon.
        markBroken(
          head.seq + 1,
          `receipt ${head.seq + 1} is missing: the chain ends at receipt ${head.seq} but receipt ${verified.seq} was seen earlier (truncated?)`,
        );
      } else {
        take(receipts.verifyAfter(verified));
      }
      return view();
    },
    noteVerified(result) {
      if (!result.ok) markBroken(result.brokenAt, result.reason);
      else if (broken === undefined && result.head.seq > verified.seq) verified = result.head;
    },
    noteUnreadable(rows) {
      for (const row of rows) markBroken(row.seq, row.reason);
    },
    refusal() {
      if (broken === undefined || mode !== 'refuse-calls') return undefined;
      return new BriefcaseError(
        'denied',
        `The receipt log is damaged (receipt ${broken.brokenAt} does not check out), so no tool call runs until a person has looked at it.`,
        { details: { deniedBy: 'receipts', brokenAt: broken.brokenAt } },
      );
    },
  };
}
