export {
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  isValidServerName,
  type NormalizedServerConfig,
  STDIO_DEFAULT_PATH,
  type UpstreamServerConfig,
  type UpstreamTransport,
  validateServerConfig,
  validateServerUrl,
} from './config.js';
export { isUpstreamError, UpstreamError, type UpstreamErrorReason } from './errors.js';
export {
  detectInstructionLikeText,
  INSTRUCTION_RULES,
  type InstructionRule,
  LONG_DESCRIPTION_CHARS,
} from './instruction-text.js';
export { MAX_TOOL_DEFINITION_BYTES, MAX_TOOL_PAGES, MAX_TOOLS_PER_SERVER } from './limits.js';
export {
  createUpstreamPool,
  type UpstreamCallOptions,
  type UpstreamCallResult,
  type UpstreamLogger,
  type UpstreamLogLevel,
  type UpstreamPool,
  type UpstreamPoolOptions,
  type UpstreamProgress,
  type UpstreamServerRequest,
  type UpstreamServerStatus,
} from './pool.js';
export { isRelayedMethod, RELAYED_METHODS, type RelayedMethod } from './relayed-methods.js';
export {
  type DroppedTool,
  isValidToolName,
  sanitizeTools,
  toolDefinitionHash,
  type UpstreamTool,
} from './tools.js';
