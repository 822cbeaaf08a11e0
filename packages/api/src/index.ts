/**
 * The wire contract of the briefcased local API: the request and response schemas of every route,
 * defined once. The daemon validates and serializes with them (and generates its OpenAPI document
 * from them); the client infers its types from them and checks responses with their compiled
 * validators.
 */

export { findRoute, ROUTES } from './contract.js';
export {
  type BodyOf,
  defineRoute,
  errorResponses,
  type HttpMethod,
  type ParamsOf,
  type QueryOf,
  type ResponseOf,
  type RouteContract,
  type RouteSchema,
} from './route.js';
export {
  APPROVAL_EVENT_TYPES,
  ApprovalChangeEvent,
  ApprovalSnapshotEvent,
  approvalStream,
  approveApproval,
  denyApproval,
  getApproval,
  listApprovals,
} from './routes/approvals.js';
export { BINDING_PROPERTIES } from './routes/binding.js';
export { listBudgets, setBudget } from './routes/budgets.js';
export { KEY_ALGORITHMS, KEY_PURPOSES, Key, listKeys, PublicJwk, rotateKey } from './routes/keys.js';
export {
  addMcpServer,
  cancelMcpLogin,
  getMcpLogin,
  getMcpServer,
  listMcpServers,
  logoutMcpServer,
  MAX_LOGIN_WAIT_MS,
  McpAuth,
  McpLogin,
  McpServer,
  McpTool,
  refreshMcpServer,
  removeMcpServer,
  reviewMcpServer,
  startMcpLogin,
} from './routes/mcp.js';
export { getPolicy, PolicyProblem, setPolicy, validatePolicy } from './routes/policy.js';
export {
  ChainHead,
  ChainHealth,
  ExportLine,
  exportReceipts,
  listReceipts,
  ON_BROKEN_CHAIN,
  receiptHead,
  UnreadableReceipt,
  verifyReceipts,
} from './routes/receipts.js';
export {
  AGENT_RELAY_METHODS,
  answerChannelRequest,
  CHANNEL_CAPABILITIES,
  CHANNEL_EVENT_TYPES,
  ChannelAnswer,
  ChannelEvent,
  openChannel,
  relay,
} from './routes/relay.js';
export { DaemonStatus, health, status } from './routes/system.js';
export { CallProvenance, callTool, listTools } from './routes/tools.js';
export {
  type Annotations,
  JsonObject,
  Nullable,
  OneOf,
  OptionalBody,
  Ref,
  Shared,
  type SharedSchema,
  StringEnum,
  StringMap,
} from './schema-kit.js';
export {
  APPROVAL_STATES,
  Approval,
  Budget,
  DecisionReason,
  ErrorBody,
  NullableMicroUsd,
  Policy,
  Receipt,
  SHARED_SCHEMAS,
  Tool,
  ToolSource,
} from './shared.js';
export { type Static, type TSchema, type TUnsafe, Type } from './type.js';
export { type ContractCheck, compileCheck } from './validate.js';
