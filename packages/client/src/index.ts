export { type BriefcaseClient, type ClientOptions, createClient } from './client.js';
export type { ClientRole } from './daemon-http.js';
export { resolveDataDir, socketPathFor } from './data-dir.js';
export {
  DAEMON_UNAVAILABLE_HINT,
  DaemonUnavailableError,
  type DaemonUnavailableReason,
  isDaemonUnavailableError,
} from './errors.js';
export { createLineSplitter, type LineBreaks, type LineSplitter, type LineSplitterOptions } from './lines.js';
export { formatUsd, microUsdToDecimal, parseUsd } from './money.js';
export type {
  CallToolOptions,
  ExportReceiptsOptions,
  RelayOptions,
  RequestOptions,
} from './resources/options.js';
export { createSseParser, type SseEvent, type SseParser, type SseParserOptions } from './sse.js';
export {
  isValidTraceparent,
  isValidTracestate,
  type TraceContextHeaders,
  traceContextFromMeta,
} from './trace-context.js';
export type {
  AddMcpServerInput,
  Approval,
  ApprovalDecision,
  ApprovalEventType,
  ApprovalListState,
  ApprovalState,
  ApprovalWatchEvent,
  BudgetCaps,
  BudgetView,
  CallProvenance,
  CallToolRequest,
  CallToolResponse,
  ChannelAnswer,
  ChannelCapabilities,
  ChannelEvent,
  HealthView,
  KeyView,
  ListReceiptsOptions,
  McpAuthView,
  McpLogin,
  McpLoginInput,
  McpLoginView,
  McpLogoutResult,
  McpRefreshResult,
  McpReviewResult,
  McpServerView,
  McpToolView,
  McpTransport,
  PolicyProblem,
  PolicyValidation,
  PolicyView,
  PublicJwkView,
  Receipt,
  ReceiptExportEntry,
  ReceiptHeadView,
  ReceiptPage,
  ReceiptVerification,
  RelayMethod,
  StatusView,
  ToolSourceView,
  ToolView,
} from './types.js';
