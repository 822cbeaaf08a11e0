/**
 * Limits that the daemon enforces and that its clients (the gateway, the CLI) must state or
 * check the same way. One definition here, so a client never offers what the daemon refuses.
 */

/**
 * Longest a tool call may be held open (`waitMs`) while a person decides its approval. The daemon
 * caps `waitMs` at it; the gateway's and the CLI's `--approval-wait` refuse more.
 */
export const MAX_APPROVAL_WAIT_MS = 120_000;

/** Longest name of a registered MCP server (1 to this many of `[A-Za-z0-9_.-]`). */
export const MAX_MCP_SERVER_NAME_LENGTH = 64;

/** The request timeout of an MCP server registered without its own. */
export const DEFAULT_MCP_TIMEOUT_MS = 30_000;

/** Longest per-server request timeout a person may set for an MCP server. */
export const MAX_MCP_TIMEOUT_MS = 10 * 60_000;

/** Longest approval id accepted anywhere (the daemon makes UUIDs); a longer one names no approval. */
export const MAX_APPROVAL_ID_LENGTH = 64;

/** Longest tool name accepted (and recorded in a receipt); a longer name is not a tool's. */
export const MAX_TOOL_NAME_LENGTH = 256;
