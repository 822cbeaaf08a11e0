import type { ToolDefinition } from '@briefcase/core';
import type { Db } from '../db/open.js';
import type { ChannelBinding } from '../mcp/channels.js';

/** What a tool may use while it runs. Remote servers and sandboxes get their own context later. */
export interface ToolContext {
  db: Db;
  now: Date;
  signal: AbortSignal;
  /** The agent session the call came from, for a remote server's progress and requests to its client. */
  binding?: ChannelBinding;
  /** Records in the call's receipt how the tool authenticated upstream (method and scopes, never a token). */
  setReceiptAuth?: (auth: { method: string; scope: string | null }) => void;
}

/**
 * How a tool runs, which decides how its receipt is made atomic with its effect:
 * - `pure`: no effect beyond its result; the receipt is written after it returns, and a result whose
 *   receipt cannot be written is never returned.
 * - `transactional`: synchronous, its only effects are on the daemon database; it runs inside the same
 *   transaction as its receipt, so both happen or neither does.
 * - `external`: effects outside the daemon (remote APIs, payments). An intent receipt is written
 *   before it runs, so a call whose receipt cannot be written never starts.
 */
export type ToolExecutor =
  | { mode: 'pure'; run(args: Record<string, unknown>, ctx: ToolContext): unknown | Promise<unknown> }
  | { mode: 'transactional'; run(args: Record<string, unknown>, ctx: ToolContext): unknown }
  | { mode: 'external'; run(args: Record<string, unknown>, ctx: ToolContext): Promise<unknown> };

/** A tool as a provider offers it: its definition and how to run it. */
export interface ToolSpec {
  definition: ToolDefinition;
  executor: ToolExecutor;
}

/** A source of tools: built-ins today; remote MCP servers and sandboxed plugins plug in here. */
export interface ToolProvider {
  readonly id: string;
  tools(): Iterable<ToolSpec>;
}
