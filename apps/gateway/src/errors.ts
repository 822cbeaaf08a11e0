import { isDaemonUnavailableError } from '@briefcase/client';
import { denialSource, type ErrorCode, errorHint, isBriefcaseError, isRecord } from '@briefcase/core';
import {
  type CallToolResult,
  ErrorCode as JsonRpcErrorCode,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { META_KEYS } from './tools.js';

/**
 * Error codes that describe the outcome of one tool call. MCP wants those reported inside a
 * result with `isError: true`, so the model sees them and can act (ask a person, fix the arguments),
 * rather than as protocol errors, which clients tend to hide from the model
 * (MCP 2025-11-25, server/tools "Error Handling").
 */
export const TOOL_LEVEL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'approval_required',
  'denied',
  'budget_exceeded',
  'invalid_args',
  'oauth_required',
  'upstream_error',
  'revoked',
  'sandbox_violation',
  'replay_detected',
  'shutting_down',
]);

/** What the operator sees when the daemon cannot be reached. Names no path and no token. */
export const DAEMON_UNREACHABLE_MESSAGE =
  'briefcased is not reachable; start it with `npm start` (or `briefcase daemon`) using the same ' +
  'BRIEFCASE_DATA_DIR as the gateway.';

/** What the operator sees when the daemon refuses the gateway's agent token. */
export const TOKEN_REJECTED_MESSAGE =
  "briefcased rejected the gateway's agent token; check that the gateway and the daemon use the same " +
  'BRIEFCASE_DATA_DIR, then restart the gateway.';

/**
 * What the agent is told about a call the gateway stopped because it is shutting down. Honest about
 * both cases, since the gateway cannot tell them apart: a call still waiting for approval never ran
 * (and briefcased withdraws the approval request it alone was waiting on), while a call already
 * running was cancelled and may have had an effect.
 */
export const SHUTTING_DOWN_MESSAGE =
  'The gateway is shutting down, so it stopped this call before briefcased answered. A call that was ' +
  'waiting for approval did not run and its approval request is withdrawn; a call that was already ' +
  'running was cancelled and may have had an effect (its receipt in the audit log says which).';

/** What the caller sees for any other failure inside the gateway or the daemon. */
export const INTERNAL_MESSAGE = 'briefcased or the gateway failed unexpectedly; see their logs (stderr).';

/** `[{path, message}]` from an `invalid_args` error's details, ignoring anything malformed. */
function argumentErrors(details: unknown): { path: string; message: string }[] {
  const errors = isRecord(details) ? details.errors : undefined;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is { path: string; message: string } => isRecord(e) && typeof e.message === 'string')
    .map((e) => ({ path: typeof e.path === 'string' ? e.path : '', message: e.message }));
}

/** The pending approval from an `approval_required` error's details, as far as it is well-formed. */
function approvalDetails(details: unknown): { expiresAt?: string; summary?: string } {
  const approval = isRecord(details) ? details.approval : undefined;
  if (!isRecord(approval)) return {};
  const out: { expiresAt?: string; summary?: string } = {};
  if (typeof approval.expiresAt === 'string') out.expiresAt = approval.expiresAt;
  if (typeof approval.summary === 'string') out.summary = approval.summary;
  return out;
}

/**
 * Human-readable text for a tool-level failure: the daemon's message plus what the agent can do next
 * (the agent's hint: never an admin command, which it has no token for).
 */
function describe(
  code: ErrorCode,
  message: string,
  structured: Record<string, unknown>,
  details: unknown,
): string {
  switch (code) {
    case 'approval_required': {
      const id = String(structured.approvalId ?? '');
      const lines = [
        `This call needs a person's approval before it runs.${structured.summary ? ` Request: ${structured.summary}` : ''}`,
        message,
        `Approval id: ${id}${structured.expiresAt ? ` (expires ${structured.expiresAt})` : ''}.`,
        `Ask the person to approve it on their side, e.g. \`briefcase approvals approve ${id}\`, then retry the same call with the same arguments. You cannot approve it yourself.`,
      ];
      return lines.join('\n');
    }
    case 'invalid_args': {
      const errors = structured.errors as { path: string; message: string }[] | undefined;
      const list = (errors ?? []).map((e) => `- ${e.path || '(arguments)'}: ${e.message}`);
      return [`Invalid arguments: ${message}`, ...list].join('\n');
    }
    default:
      return `${code}: ${message}\n${errorHint(code, details, 'agent')}`;
  }
}

/**
 * The `isError` result for a tool-level failure. `structuredContent` carries `{code, message, ...}`
 * except for tools that declare an `outputSchema`: clients validate `structuredContent` against that
 * schema even on errors (the SDK client does), so there the same object goes only in
 * `_meta['briefcase/error']`, where it always is.
 */
export function toolErrorResult(
  code: ErrorCode,
  message: string,
  extra: { details?: unknown; approvalId?: string | undefined },
  toolHasOutputSchema: boolean,
): CallToolResult {
  const structured: Record<string, unknown> = { code, message };
  const details = extra.details;
  if (code === 'approval_required') {
    structured.approvalId = extra.approvalId ?? null;
    const approval = approvalDetails(details);
    structured.expiresAt = approval.expiresAt ?? null;
    if (approval.summary !== undefined) structured.summary = approval.summary;
  }
  if (code === 'invalid_args') structured.errors = argumentErrors(details);
  const deniedBy = code === 'denied' ? denialSource(details) : undefined;
  if (deniedBy !== undefined) structured.deniedBy = deniedBy;
  if (isRecord(details) && Number.isSafeInteger(details.receiptSeq))
    structured.receiptSeq = details.receiptSeq;
  const result: CallToolResult = {
    isError: true,
    content: [{ type: 'text', text: describe(code, message, structured, details) }],
    _meta: { [META_KEYS.error]: structured },
  };
  if (!toolHasOutputSchema) result.structuredContent = structured;
  return result;
}

/**
 * The JSON-RPC error for a failure that is not the tool call's own outcome. Its message goes to an
 * untrusted client, so it is one of the fixed texts above (no path, no token, no daemon internals);
 * `log` gets the full story for the operator.
 */
export function protocolError(error: unknown, log: (message: string) => void): McpError {
  if (error instanceof McpError) return error;
  if (isDaemonUnavailableError(error)) {
    log(`${error.message} (${error.hint})`);
    return new McpError(JsonRpcErrorCode.InternalError, DAEMON_UNREACHABLE_MESSAGE);
  }
  if (isBriefcaseError(error) && error.code === 'unauthorized') {
    log(`briefcased answered unauthorized: ${error.message}`);
    return new McpError(JsonRpcErrorCode.InternalError, TOKEN_REJECTED_MESSAGE);
  }
  log(`unexpected failure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  return new McpError(JsonRpcErrorCode.InternalError, INTERNAL_MESSAGE);
}
