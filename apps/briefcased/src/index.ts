export { resolveDataDir as defaultDataDir } from '@briefcase/core';
export { type AppDeps, buildApp, type PolicyHolder } from './app.js';
export { type DaemonOptions, type RunningDaemon, startDaemon } from './daemon.js';
export { MIGRATIONS } from './db/migrations.js';
export { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from './pipeline/call.js';
export { SECRET_PATTERNS } from './pipeline/redact.js';
export { builtinTools } from './tools/builtin.js';
export type { ToolContext, ToolExecutor, ToolProvider, ToolSpec } from './tools/types.js';
export { VERSION } from './version.js';
