import { isRecord } from './objects.js';

/**
 * Stable error codes, as data. Every failure that leaves the daemon carries one of these codes,
 * and every surface (HTTP API, CLI exit code, MCP gateway) maps it from this table.
 * Adding a code is an API change: append, never rename.
 *
 * Two hints per code, because two readers act on them: `hint` is for the person at the CLI (it may
 * name admin commands); `agentHint` is for the agent behind the gateway, which holds no admin token,
 * so it never tells it to run one (only what to do itself, or what to ask the person).
 */
export const ERROR_CATALOG = {
  invalid_args: {
    httpStatus: 400,
    exitCode: 6,
    hint: 'Fix the arguments so they match the tool input schema (see `briefcase tools list --json`).',
    agentHint: "Fix the arguments so they match the tool's input schema, then call it again.",
  },
  denied: {
    httpStatus: 403,
    exitCode: 5,
    hint: 'The policy or a person refused this call; the message says which. See `briefcase policy show` and `briefcase approvals list --all`.',
    agentHint: 'This call was refused. Do not retry it unchanged.',
  },
  approval_required: {
    httpStatus: 409,
    exitCode: 4,
    hint: 'A person must approve this call: `briefcase approvals approve <id>`, then retry the same call.',
    agentHint:
      'A person must approve this call on their side; then retry the same call. You cannot approve it yourself.',
  },
  budget_exceeded: {
    httpStatus: 402,
    exitCode: 7,
    hint: 'The call would exceed a budget. Raise it with `briefcase budgets set` or wait for the window to reset.',
    agentHint:
      'The call would exceed a budget the user set. Do not retry it until the user raises the budget or the window resets.',
  },
  oauth_required: {
    httpStatus: 424,
    exitCode: 8,
    hint: 'The server needs a person to sign in before this tool can be used.',
    agentHint: 'The server needs the user to sign in before this tool can be used. Tell the user.',
  },
  revoked: {
    httpStatus: 403,
    exitCode: 9,
    hint: 'The credential behind this call was revoked.',
    agentHint: 'The credential behind this call was revoked. Tell the user.',
  },
  sandbox_violation: {
    httpStatus: 403,
    exitCode: 10,
    hint: 'The tool tried something its sandbox does not allow.',
    agentHint: 'The tool tried something its sandbox does not allow.',
  },
  upstream_error: {
    httpStatus: 502,
    exitCode: 11,
    hint: 'The tool or the service behind it failed. Try again later.',
    agentHint: 'The tool or the service behind it failed. Try again later.',
  },
  replay_detected: {
    httpStatus: 409,
    exitCode: 12,
    hint: 'This request was already used once and cannot be replayed.',
    agentHint: 'This request was already used once and cannot be replayed.',
  },
  not_found: {
    httpStatus: 404,
    exitCode: 13,
    hint: 'Check the name or id.',
    agentHint: 'Check the name or id.',
  },
  unauthorized: {
    httpStatus: 401,
    exitCode: 14,
    hint: 'The request lacks a valid token for this action.',
    agentHint: 'The request lacks a valid token for this action. Tell the user.',
  },
  internal_error: {
    httpStatus: 500,
    exitCode: 1,
    hint: 'briefcased hit an unexpected error; see its log.',
    agentHint: 'briefcased hit an unexpected error. Tell the user.',
  },
  shutting_down: {
    httpStatus: 503,
    exitCode: 16,
    hint: 'The gateway or briefcased is stopping, so the call was not completed. Retry the same call once it runs again.',
    agentHint: 'The briefcase is shutting down, so the call did not complete. Retry the same call later.',
  },
} as const satisfies Record<
  string,
  { httpStatus: number; exitCode: number; hint: string; agentHint: string }
>;

/**
 * Who or what refused a `denied` call, as data: the daemon puts the key in the error's
 * `details.deniedBy`, and each surface picks the hint for its reader (see {@link ERROR_CATALOG}).
 * "The policy forbids this call" is wrong when a person denied it, and the agent can act on neither
 * `briefcase policy show` nor `briefcase approvals …`.
 */
export const DENIAL_CATALOG = {
  /** The Cedar policy (or a failure to evaluate it, which denies). */
  policy: {
    hint: 'The policy forbids this call. If that is wrong, review it with `briefcase policy show`.',
    agentHint:
      "The user's policy does not allow this call. Do not retry it unchanged; tell the user if you think it should be allowed.",
  },
  /** A person denied the approval request for this exact call. */
  person: {
    hint: 'A person denied this request (see `briefcase approvals list --all`); the agent may ask again once the denial expires.',
    agentHint: 'A person refused this call. Do not retry it unchanged; ask the user what they want instead.',
  },
  /** The approval id the call named does not exist or is for another tool or other arguments. */
  approval: {
    hint: 'Check the id with `briefcase approvals list --all`, or run the call without `--approval` to ask for a new approval.',
    agentHint:
      'Call again without an approval id to ask for a new approval, or pass the id you were given for exactly this tool and these arguments.',
  },
  /** A remote tool's definition changed since a person reviewed it; it waits for a new review. */
  review: {
    hint: 'Review the changed definition with `briefcase mcp review <server>`; the tool comes back once accepted.',
    agentHint:
      'This tool changed since the user reviewed it and cannot be used until they review it again. Tell the user.',
  },
  /** The receipt log is broken and the daemon refuses calls (`BRIEFCASE_ON_BROKEN_CHAIN=refuse-calls`). */
  receipts: {
    hint: 'The receipt chain is broken: see `briefcase status` and `briefcase receipts verify`. To run calls again, restart briefcased with BRIEFCASE_ON_BROKEN_CHAIN=warn.',
    agentHint:
      "The user's audit log is damaged, so no tool call runs until they have looked at it. Tell the user; do not retry.",
  },
} as const satisfies Record<string, { hint: string; agentHint: string }>;

/** Who or what refused a `denied` call (`details.deniedBy`). */
export type DenialSource = keyof typeof DENIAL_CATALOG;

/** The {@link DenialSource} named in an error's details, if any (details cross trust boundaries: checked). */
export function denialSource(details: unknown): DenialSource | undefined {
  const by = isRecord(details) ? details.deniedBy : undefined;
  return typeof by === 'string' && Object.hasOwn(DENIAL_CATALOG, by) ? (by as DenialSource) : undefined;
}

/**
 * The hint for `reader` of an error with `code` and `details`: for `denied`, the hint of who refused
 * it when the details say; otherwise the code's own.
 */
export function errorHint(code: ErrorCode, details: unknown, reader: 'person' | 'agent'): string {
  const by = code === 'denied' ? denialSource(details) : undefined;
  const entry = by === undefined ? ERROR_CATALOG[code] : DENIAL_CATALOG[by];
  return reader === 'agent' ? entry.agentHint : entry.hint;
}

/** A stable, machine-readable error code. */
export type ErrorCode = keyof typeof ERROR_CATALOG;

export const ERROR_CODES = Object.keys(ERROR_CATALOG) as ErrorCode[];

/** Returns true when `value` is one of the stable error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CATALOG, value);
}

/** Wire shape of every error the daemon returns: `{"error": {...}}`. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    /** Present when `code` is `approval_required`. */
    approval_id?: string;
    /** Structured, secret-free detail (e.g. JSON-pointer paths for `invalid_args`). */
    details?: unknown;
  };
}

/**
 * An error with a stable code and a message a person can act on.
 * The message must never contain a secret: it crosses the trust boundary.
 */
export class BriefcaseError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly approvalId: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; approvalId?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BriefcaseError';
    this.code = code;
    this.details = options.details;
    this.approvalId = options.approvalId;
  }

  get httpStatus(): number {
    return ERROR_CATALOG[this.code].httpStatus;
  }

  toBody(): ErrorBody {
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.approvalId !== undefined) error.approval_id = this.approvalId;
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

/** Type guard that survives duplicate module instances (checks shape, not prototype). */
export function isBriefcaseError(value: unknown): value is BriefcaseError {
  return (
    value instanceof BriefcaseError ||
    (value instanceof Error && isErrorCode((value as { code?: unknown }).code))
  );
}
