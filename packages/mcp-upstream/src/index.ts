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
export {
  DEFAULT_PIN_CHECK_MAX_AGE_MS,
  MAX_TOOL_DEFINITION_BYTES,
  MAX_TOOL_PAGES,
  MAX_TOOLS_PER_SERVER,
} from './limits.js';
export { createUpstreamPool } from './pool.js';
export type {
  UpstreamCallOptions,
  UpstreamCallResult,
  UpstreamLogger,
  UpstreamLogLevel,
  UpstreamPool,
  UpstreamPoolOptions,
  UpstreamProgress,
  UpstreamServerRequest,
  UpstreamServerStatus,
} from './pool-types.js';
export { isRelayedMethod, RELAYED_METHODS, type RelayedMethod } from './relayed-methods.js';
export {
  type DroppedTool,
  isValidToolName,
  sanitizeTools,
  toolDefinitionHash,
  type UpstreamTool,
} from './tools.js';
