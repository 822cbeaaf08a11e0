import type { ToolDefinition } from '@briefcase/core';
import type { Sensitive } from '@briefcase/secrets';
import type { Statement } from 'better-sqlite3';
import type { ChannelBinding } from '../mcp/channels.js';

/** What every tool gets: when the call happens and a signal that aborts when the caller goes away. */
export interface BaseToolContext {
  now: Date;
  signal: AbortSignal;
}

/**
 * The handle a transactional tool writes through: statements on the same SQLite transaction as its
 * receipt, so its effect and its receipt commit together or not at all. Not the database itself:
 * nothing here can commit, open another transaction or reach the receipt log.
 */
export interface TransactionHandle {
  prepare(sql: string): Statement;
}

/** Secrets a tool may read: only the names its spec declares (`ToolSpec.secrets`), nothing else. */
export interface ScopedSecrets {
  get(name: string): Promise<Sensitive<string> | null>;
}

/**
 * How a tool with outside effects reaches the network. Redirects are never followed (a redirect is
 * returned as is); the coming egress policy wraps this one function, so tools must not use another.
 */
export type OutboundFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** The context of an external tool: the network and its own secrets, and its agent session's channel. */
export interface ExternalToolContext extends BaseToolContext {
  fetch: OutboundFetch;
  secrets: ScopedSecrets;
  /** The agent session the call came from, for a remote server's progress and requests to its client. */
  binding?: ChannelBinding;
}

/** The context of a transactional tool. */
export interface TransactionalToolContext extends BaseToolContext {
  tx: TransactionHandle;
}

/** How an external tool authenticated upstream, for its receipt (method and scopes, never a token). */
export interface ReceiptAuth {
  method: string;
  scope: string | null;
}

/**
 * How a tool runs, which decides how its receipt is made atomic with its effect, and which
 * capabilities it gets (never the raw database, never the receipt log):
 * - `pure`: no effect beyond its result; the receipt is written after it returns, and a result whose
 *   receipt cannot be written is never returned.
 * - `transactional`: synchronous, its only effects are on the daemon database, through a handle on
 *   the same transaction as its receipt, so both happen or neither does.
 * - `external`: effects outside the daemon (remote APIs, payments). An intent receipt is written
 *   before it runs, so a call whose receipt cannot be written never starts. `auth` says, for the
 *   receipt, how it will authenticate upstream.
 */
export type ToolExecutor =
  | { mode: 'pure'; run(args: Record<string, unknown>, ctx: BaseToolContext): unknown | Promise<unknown> }
  | { mode: 'transactional'; run(args: Record<string, unknown>, ctx: TransactionalToolContext): unknown }
  | {
      mode: 'external';
      run(args: Record<string, unknown>, ctx: ExternalToolContext): Promise<unknown>;
      auth?: () => ReceiptAuth | undefined;
    };

/** A tool as a provider offers it: its definition, how to run it, and the secret names it may read. */
export interface ToolSpec {
  definition: ToolDefinition;
  executor: ToolExecutor;
  /** Names in the secret store this tool's executor may read (external tools only). */
  secrets?: readonly string[];
}

/** A source of tools: built-ins today; remote MCP servers and sandboxed plugins plug in here. */
export interface ToolProvider {
  readonly id: string;
  tools(): Iterable<ToolSpec>;
}
