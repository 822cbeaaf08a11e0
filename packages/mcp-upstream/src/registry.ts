import { type CatalogState, newCatalogState } from './catalog-cache.js';
import {
  configHash,
  type NormalizedServerConfig,
  type UpstreamServerConfig,
  validateServerConfig,
} from './config.js';
import { type ConfigSnapshot, matchesSnapshot, snapshotConfig } from './config-snapshot.js';
import type { UpstreamError } from './errors.js';
import type { UpstreamLogger, UpstreamPoolOptions, UpstreamServerStatus } from './pool-types.js';
import { closeSession, type Session } from './session.js';

/** Everything the pool keeps about one server name, for one config of it. */
export interface Entry {
  readonly name: string;
  /** {@link configHash} of `config`: a different hash for the name means a new entry. */
  readonly hash: string;
  readonly config: NormalizedServerConfig;
  /** The config as last passed in for this entry, to recognize it cheaply next time. */
  lastInput: ConfigSnapshot;
  session: Session | null;
  /** The connect under way, shared by every caller that needs the session meanwhile. */
  connecting: Promise<Session> | null;
  /** Consecutive failures that broke a session; drives the backoff. */
  reconnectAttempts: number;
  /** Epoch ms before which no reconnect is tried (0: none pending). */
  retryAt: number;
  lastFailure: UpstreamError | null;
  /** {@link UpstreamServerStatus.lastError}. */
  lastError: string | null;
  consecutiveTimeouts: number;
  readonly catalog: CatalogState;
  /** Closed or replaced by a new config: never connects again. */
  retired: boolean;
}

/** The state and settings one pool shares among its modules. */
export interface PoolContext {
  /** The caller's options as given (hooks are read when used). */
  readonly options: UpstreamPoolOptions;
  readonly clientInfo: { name: string; version: string };
  readonly catalogTtlMs: number;
  /** Oldest catalog the call-time pin check ({@link toolHash}) trusts; at most `catalogTtlMs`. */
  readonly pinCheckMaxAgeMs: number;
  readonly backoff: { initialMs: number; maxMs: number };
  /** Never throws, whatever the caller's sink does. */
  readonly log: UpstreamLogger;
  readonly entries: Map<string, Entry>;
}

/**
 * The entry for `config`, created on first use. A changed config for a known name retires the old
 * entry (closing its session) and starts a new one.
 * @throws BriefcaseError `invalid_args` for a bad config
 */
export function entryFor(ctx: PoolContext, config: UpstreamServerConfig): Entry {
  const isObject = config !== null && typeof config === 'object';
  const known = isObject ? ctx.entries.get(config.name) : undefined;
  if (known && matchesSnapshot(known.lastInput, config)) return known;
  // The private copy is what gets validated, so what is remembered is exactly what was checked.
  const input = isObject ? snapshotConfig(config) : config;
  const normalized = validateServerConfig(input as UpstreamServerConfig); // throws for a non-object
  const lastInput = input as ConfigSnapshot;
  const hash = configHash(normalized);
  const existing = ctx.entries.get(normalized.name);
  if (existing && existing.hash === hash) {
    existing.lastInput = lastInput; // another spelling of the same config, e.g. defaults written out
    return existing;
  }
  if (existing) {
    ctx.log('info', 'upstream config changed; replacing its session', { server: normalized.name });
    void retire(ctx, existing);
  }
  const entry: Entry = {
    name: normalized.name,
    hash,
    config: normalized,
    lastInput,
    session: null,
    connecting: null,
    reconnectAttempts: 0,
    retryAt: 0,
    lastFailure: null,
    lastError: null,
    consecutiveTimeouts: 0,
    catalog: newCatalogState(),
    retired: false,
  };
  ctx.entries.set(entry.name, entry);
  return entry;
}

/** Forgets an entry and closes its session, including one still connecting. */
export async function retire(ctx: PoolContext, entry: Entry): Promise<void> {
  entry.retired = true;
  if (ctx.entries.get(entry.name) === entry) ctx.entries.delete(entry.name);
  const closing: Array<Promise<void>> = [];
  if (entry.session) closing.push(closeSession(entry.session, true));
  entry.session = null;
  if (entry.connecting) {
    closing.push(entry.connecting.then((session) => closeSession(session, true)).catch(() => undefined));
  }
  await Promise.all(closing);
}

/** Retires the entry named `name`, or every entry. */
export async function retireAll(ctx: PoolContext, name?: string): Promise<void> {
  const targets =
    name === undefined ? [...ctx.entries.values()] : [ctx.entries.get(name)].filter((e) => e !== undefined);
  await Promise.all(targets.map((entry) => retire(ctx, entry)));
}

/** Session health of the server named `name` (all zero/null for an unknown name). */
export function statusOf(ctx: PoolContext, name: string): UpstreamServerStatus {
  const entry = ctx.entries.get(name);
  if (!entry) return { connected: false, lastError: null, reconnectAttempts: 0 };
  return {
    connected: entry.session !== null && !entry.session.closed,
    lastError: entry.lastError,
    reconnectAttempts: entry.reconnectAttempts,
  };
}
