import { type BriefcaseError, canonicalHash, isRecord, type ReceiptKind } from '@briefcase/core';
import { type ReceiptFields, type ReceiptWriter, withReceiptSeq, writeFailure } from './receipt-writer.js';

/**
 * Every administrative action the API offers, as data: its name (a route's `config.admin`) and the
 * receipt a successful one leaves. Kinds of their own are written by the change itself, in the same
 * commit as its effect; `admin_change` ones by the route after it succeeded. Any failure or refusal
 * leaves an `admin_change` receipt whatever the action.
 */
export const ADMIN_ACTIONS = {
  'approval.approve': { onSuccess: 'approval_decision' },
  'approval.deny': { onSuccess: 'approval_decision' },
  'budget.set': { onSuccess: 'budget_update' },
  'key.rotate': { onSuccess: 'key_rotation' },
  'policy.set': { onSuccess: 'policy_update' },
  'mcp.add': { onSuccess: 'mcp_server_added' },
  'mcp.remove': { onSuccess: 'mcp_server_removed' },
  'mcp.refresh': { onSuccess: 'admin_change' },
  'mcp.review': { onSuccess: 'mcp_review_accepted' },
  'mcp.login': { onSuccess: 'admin_change' },
  'mcp.login.cancel': { onSuccess: 'admin_change' },
  'mcp.logout': { onSuccess: 'mcp_logout' },
} as const satisfies Record<string, { onSuccess: ReceiptKind }>;

/** One of {@link ADMIN_ACTIONS}. */
export type AdminActionName = keyof typeof ADMIN_ACTIONS;

/**
 * Who did it: `local-admin` (the admin token, as every change receipt names it), `agent` (the agent
 * token, refused), or `unknown` (no valid token, refused).
 */
export type AdminCaller = 'local-admin' | 'agent' | 'unknown';

/** An administrative request as its receipt names it. */
export interface AdminRequest {
  /** The catalog name, or `METHOD /route` for an admin-only read that was refused. */
  action: AdminActionName | string;
  by: AdminCaller;
  /** What it acts on: the route's parameters (a server name, a category, an approval id). */
  target: Record<string, string>;
  /** The request body; only its hash is kept, after secret-bearing members are blanked. */
  input: unknown;
}

/** Body members that carry secrets: their values never enter the input hash, only their presence. */
const SECRET_MEMBERS = new Set([
  'env',
  'clientSecret',
  'privateKey',
  'assertion',
  'idToken',
  'token',
  'password',
  'passphrase',
]);

/**
 * SHA-256 over the RFC 8785 form of a request body with secret-bearing members blanked: enough to
 * tell two attempts apart or match one to a person's command, never a way to test a guessed secret.
 */
export function adminInputHash(input: unknown): string | null {
  // Every admin body is a JSON object; anything else is refused by validation, and its members
  // cannot be told apart from secrets, so it is not hashed at all.
  if (!isRecord(input)) return null;
  const blanked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    blanked[key] = !SECRET_MEMBERS.has(key)
      ? value
      : isRecord(value)
        ? Object.fromEntries(Object.keys(value).map((name) => [name, '(secret)']))
        : '(secret)';
  }
  try {
    return canonicalHash(blanked);
  } catch {
    return null; // not JSON (the parser never yields that); the receipt still records the attempt
  }
}

/** The fields of an `admin_change` receipt: the request, plus what happened. */
export const adminReceipt = (request: AdminRequest, fields: ReceiptFields): ReceiptFields => ({
  action: request.action,
  by: request.by,
  target: { ...request.target },
  inputHash: adminInputHash(request.input),
  ...fields,
});

/**
 * The receipts of administrative actions that have no kind of their own: done (for catalog entries
 * whose success is an `admin_change`), failed, or refused before they ran.
 */
export function createAdminLedger(writer: ReceiptWriter) {
  return {
    /** Records a successful action that has no receipt kind of its own; the caller awaits it before answering. */
    done: (request: AdminRequest, changed: ReceiptFields = {}) =>
      writer.record('admin_change', adminReceipt(request, { outcome: 'ok', errorCode: null, changed })),

    /**
     * Records a failed or refused action and returns the error to answer with, carrying the
     * receipt's sequence number. When the receipt cannot be written, the writer's error is returned.
     */
    async failed(
      request: AdminRequest,
      error: BriefcaseError,
      outcome: 'failed' | 'denied' | 'invalid',
    ): Promise<BriefcaseError> {
      try {
        const receipt = await writer.record(
          'admin_change',
          adminReceipt(request, { outcome, errorCode: error.code }),
        );
        return withReceiptSeq(error, receipt.seq);
      } catch (cause) {
        return writeFailure(cause);
      }
    },
  };
}

/** The admin ledger of a daemon. */
export type AdminLedger = ReturnType<typeof createAdminLedger>;
