export { resolveDataDir as defaultDataDir } from '@briefcase/core';
export { type AppDeps, buildApp, type PolicyHolder } from './app.js';
export { type DaemonOptions, type RunningDaemon, startDaemon } from './daemon.js';
export { MIGRATIONS } from './db/migrations.js';
export type { ApprovalEvent, ApprovalEvents, ApprovalEventType } from './events.js';
export { SECRET_PATTERNS } from './pipeline/redact.js';
export { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from './pipeline/settings.js';
export { promptPassphraseOnTty } from './prompt.js';
export { builtinTools } from './tools/builtin.js';
export type {
  BaseToolContext,
  ExternalToolContext,
  OutboundFetch,
  ReceiptAuth,
  ScopedSecrets,
  ToolExecutor,
  ToolProvider,
  ToolSpec,
  TransactionalToolContext,
  TransactionHandle,
} from './tools/types.js';
export { VERSION } from './version.js';
