import { callTool, relayRequest, serverCapabilities } from './calls.js';
import { listTools, toolHash } from './catalog.js';
import { DEFAULT_BACKOFF } from './health.js';
import { DEFAULT_PIN_CHECK_MAX_AGE_MS } from './limits.js';
import type { UpstreamPool, UpstreamPoolOptions } from './pool-types.js';
import { type Entry, type PoolContext, retireAll, statusOf } from './registry.js';

/** What the pool announces in `initialize` unless told otherwise. */
const DEFAULT_CLIENT_INFO = { name: 'briefcased', version: '0.1.0' };
/** How long a tool catalog is served from cache unless told otherwise. */
const DEFAULT_CATALOG_TTL_MS = 60_000;

/**
 * Creates the pool of MCP client sessions briefcased keeps to upstream servers.
 *
 * One session per server name, opened lazily and shared by all callers (concurrent first calls share
 * one connect). A changed config for a name replaces its session. Failures that break a session
 * (`closed`, `malformed`, `too_large`, `unreachable`, `auth_required`, or three timeouts in a row)
 * close it; the next use reconnects after exponential backoff with jitter, and fails fast with
 * `unreachable` inside the backoff window.
 */
export function createUpstreamPool(options: UpstreamPoolOptions = {}): UpstreamPool {
  const catalogTtlMs = options.catalogTtlMs ?? DEFAULT_CATALOG_TTL_MS;
  const ctx: PoolContext = {
    options,
    clientInfo: options.clientInfo ?? DEFAULT_CLIENT_INFO,
    catalogTtlMs,
    pinCheckMaxAgeMs: Math.min(options.pinCheckMaxAgeMs ?? DEFAULT_PIN_CHECK_MAX_AGE_MS, catalogTtlMs),
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    log: (level, msg, fields) => {
      try {
        options.log?.(level, msg, fields);
      } catch {
        // a failing log sink must not break a call
      }
    },
    entries: new Map<string, Entry>(),
  };
  return {
    listTools: (config, opts) => listTools(ctx, config, opts),
    toolHash: (config, toolName) => toolHash(ctx, config, toolName),
    callTool: (config, toolName, args, opts) => callTool(ctx, config, toolName, args, opts),
    request: (config, method, params, opts) => relayRequest(ctx, config, method, params, opts),
    serverCapabilities: (config) => serverCapabilities(ctx, config),
    status: (name) => statusOf(ctx, name),
    close: (name) => retireAll(ctx, name),
  };
}
