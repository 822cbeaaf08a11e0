/**
 * Stable error codes, as data. Every failure that leaves the daemon carries one of these codes,
 * and every surface (HTTP API, CLI exit code, later the MCP gateway) maps it from this table.
 * Adding a code is an API change: append, never rename.
 */
export const ERROR_CATALOG = {
  invalid_args: {
    httpStatus: 400,
    exitCode: 6,
    hint: 'Fix the arguments so they match the tool input schema (see `briefcase tools list --json`).',
  },
  denied: {
    httpStatus: 403,
    exitCode: 5,
    hint: 'The policy forbids this call. Review it with `briefcase policy show`.',
  },
  approval_required: {
    httpStatus: 409,
    exitCode: 4,
    hint: 'A person must approve this call: `briefcase approvals approve <id>`, then retry the same call.',
  },
  budget_exceeded: {
    httpStatus: 402,
    exitCode: 7,
    hint: 'The call would exceed a budget. Raise it with `briefcase budgets set` or wait for the window to reset.',
  },
  oauth_required: {
    httpStatus: 424,
    exitCode: 8,
    hint: 'The server needs a person to sign in before this tool can be used.',
  },
  revoked: {
    httpStatus: 403,
    exitCode: 9,
    hint: 'The credential behind this call was revoked.',
  },
  sandbox_violation: {
    httpStatus: 403,
    exitCode: 10,
    hint: 'The tool tried something its sandbox does not allow.',
  },
  upstream_error: {
    httpStatus: 502,
    exitCode: 11,
    hint: 'The tool or the service behind it failed. Try again later.',
  },
  replay_detected: {
    httpStatus: 409,
    exitCode: 12,
    hint: 'This request was already used once and cannot be replayed.',
  },
  not_found: { httpStatus: 404, exitCode: 13, hint: 'Check the name or id.' },
  unauthorized: {
    httpStatus: 401,
    exitCode: 14,
    hint: 'The request lacks a valid token for this action.',
  },
  internal_error: {
    httpStatus: 500,
    exitCode: 1,
    hint: 'briefcased hit an unexpected error; see its log.',
  },
  shutting_down: {
    httpStatus: 503,
    exitCode: 16,
    hint: 'The gateway or briefcased is stopping, so the call was not completed. Retry the same call once it runs again.',
  },
} as const satisfies Record<string, { httpStatus: number; exitCode: number; hint: string }>;

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
