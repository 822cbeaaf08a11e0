export { canonicalHash, canonicalJson, jsonDepth, MAX_JSON_DEPTH, sha256Hex } from './canonical.js';
export {
  BriefcaseError,
  DENIAL_CATALOG,
  type DenialSource,
  denialSource,
  ERROR_CATALOG,
  ERROR_CODES,
  type ErrorBody,
  type ErrorCode,
  errorHint,
  isBriefcaseError,
  isErrorCode,
} from './errors.js';
export { KEY_ALGORITHMS, KEY_PURPOSES, type KeyAlgorithm, type KeyPurpose } from './key-kinds.js';
export {
  DEFAULT_MCP_TIMEOUT_MS,
  MAX_APPROVAL_ID_LENGTH,
  MAX_APPROVAL_WAIT_MS,
  MAX_MCP_SERVER_NAME_LENGTH,
  MAX_MCP_TIMEOUT_MS,
  MAX_TOOL_NAME_LENGTH,
} from './limits.js';
export { isLoopbackHost } from './loopback.js';
export { isPlainObject, isRecord } from './objects.js';
export { DATA_DIR_LAYOUT, resolveDataDir } from './paths.js';
export { isReceiptKind, RECEIPT_KINDS, type ReceiptKind } from './receipt-kinds.js';
export type {
  AddMcpServerInput,
  Approval,
  ApprovalState,
  CallOutcome,
  ChannelAnswer,
  ChannelEvent,
  DecisionKind,
  DecisionReason,
  JsonSchema,
  McpAuthView,
  McpLoginView,
  McpServerSettings,
  McpServerView,
  McpToolDefinition,
  McpToolView,
  McpTransport,
  MicroUsd,
  ToolDefinition,
  ToolEffect,
  ToolSource,
} from './types.js';
