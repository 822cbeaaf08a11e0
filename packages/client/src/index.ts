export {
  type BriefcaseClient,
  type CallToolOptions,
  type ClientOptions,
  type ClientRole,
  createClient,
  type ExportReceiptsOptions,
  type RelayOptions,
  type RequestOptions,
} from './client.js';
export { resolveDataDir, socketPathFor } from './data-dir.js';
export {
  DAEMON_UNAVAILABLE_HINT,
  DaemonUnavailableError,
  type DaemonUnavailableReason,
  isDaemonUnavailableError,
} from './errors.js';
export { createLineSplitter, type LineBreaks, type LineSplitter, type LineSplitterOptions } from './lines.js';
export { formatUsd, microUsdToDecimal, parseUsd } from './money.js';
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
  ReceiptHeadView,
  ReceiptVerification,
  RelayMethod,
  StatusView,
  ToolSourceView,
  ToolView,
} from './types.js';
