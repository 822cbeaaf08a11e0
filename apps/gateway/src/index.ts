export { DEFAULT_APPROVAL_WAIT_MS, parseApprovalWait } from './approval-wait.js';
export { type GatewayCliIo, parseHostPort, runGatewayCli } from './cli.js';
export {
  type ClientConfig,
  type ClientConfigOptions,
  clientConfig,
  MCP_CLIENT_FILES,
  MCP_CLIENTS,
  type McpClientName,
  printClientConfig,
  VSCODE_TOKEN_INPUT,
} from './client-config.js';
export {
  DAEMON_UNREACHABLE_MESSAGE,
  INTERNAL_MESSAGE,
  TOKEN_REJECTED_MESSAGE,
  TOOL_LEVEL_CODES,
} from './errors.js';
export { type HttpGateway, type HttpGatewayOptions, startHttpGateway } from './http.js';
export {
  GATEWAY_RUNTIME_FILE,
  type GatewayRuntime,
  type RecordedGateway,
  readGatewayRuntime,
  removeGatewayRuntime,
  writeGatewayRuntime,
} from './runtime-file.js';
export {
  createGatewayServer,
  type GatewayServerOptions,
  logToStderr,
} from './server.js';
export { runStdioGateway, type StdioGateway, type StdioGatewayOptions } from './stdio.js';
export { GATEWAY_TOKEN_FILE, loadOrCreateGatewayToken } from './token.js';
export { META_KEYS } from './tools.js';
export { GATEWAY_VERSION } from './version.js';
