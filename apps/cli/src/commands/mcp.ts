import type { AddMcpServerInput, McpServerView, McpToolView } from '@briefcase/client';
import { DEFAULT_MCP_TIMEOUT_MS, MAX_MCP_SERVER_NAME_LENGTH, MAX_MCP_TIMEOUT_MS } from '@briefcase/core';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import type { CommandContext } from '../context.js';
import {
  type DiffGap,
  type DiffLine,
  diffDefinitions,
  fieldLines,
  orderedFields,
} from '../definition-diff.js';
import { UsageError } from '../errors.js';
import { formatTable, inlineSafe, plural, shellQuote, usd } from '../output.js';
import { parseMillisecondsFlag, parseUsdFlag } from '../parse.js';
import { formatFields, type ListView, reply, replyList } from '../reply.js';
import { CommandSplitError, splitCommand } from '../split-command.js';
import { authCompact, authRows, printAuthorization, registerMcpAuth } from './mcp-auth.js';

interface AddOptions {
  url?: string;
  sse?: boolean;
  command?: string;
  env: string[];
  prefix: boolean;
  trustAnnotations?: boolean;
  cost?: string;
  timeout?: string;
}

const MAX_TIMEOUT_SECONDS = MAX_MCP_TIMEOUT_MS / 1000;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const SERVER_LIST: ListView<McpServerView> = {
  jsonKey: 'servers',
  empty: 'no MCP servers; add one with `briefcase mcp add NAME --url URL`',
  columns: [
    ['NAME', (s) => s.name],
    ['TRANSPORT', (s) => s.transport],
    ['TOOLS', toolCounts],
    ['STATUS', statusText],
    ['AUTH', authCompact],
    ['TARGET', target],
  ],
};

/** Hints that fit the MCP commands better than ERROR_CATALOG's tool-call ones. */
function mcpHints(ctx: CommandContext): void {
  ctx.errorContext.hints = {
    invalid_args: `Nothing changed. Server names are 1–${MAX_MCP_SERVER_NAME_LENGTH} letters, digits, ".", "_" or "-"; see \`briefcase mcp add --help\`.`,
    not_found: `See the registered servers with \`${ctx.cli} mcp list\`.`,
    upstream_error:
      'briefcased could not reach the server, start its command, or understand its answer; check the URL or command and the daemon log.',
  };
}

/**
 * `--env NAME=VALUE` entries, or `--env NAME` to take the value from this process's environment
 * (keeps it off the command line and out of shell history). A problem names the entry by its
 * position, and the variable only when it came before a `=`: an entry without `=` may be a
 * value typed by mistake, and error messages never carry a secret.
 */
export function parseEnvFlags(entries: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  entries.forEach((entry, index) => {
    const which = `--env entry #${index + 1}`;
    const eq = entry.indexOf('=');
    const name = eq === -1 ? entry : entry.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      throw new UsageError(
        `${which} is not NAME=VALUE or NAME (NAME: letters, digits and "_", not starting with a digit); it is not shown, as it may hold a secret`,
      );
    }
    const shown = eq === -1 ? which : `--env ${name}`;
    if (Object.hasOwn(result, name))
      throw new UsageError(`${shown} sets a variable that an earlier --env already set`);
    if (eq === -1) {
      const value = env[name];
      if (value === undefined) {
        throw new UsageError(
          `${which} names a variable that is not set in your environment (not shown, in case it is a value); export it, or use --env NAME=VALUE`,
        );
      }
      result[name] = value;
    } else {
      result[name] = entry.slice(eq + 1);
    }
  });
  return result;
}

/** The argv of a stdio server from `--command "…"` or from the words after `--`. */
function commandOf(options: AddOptions, words: string[]): string[] | undefined {
  if (options.command !== undefined && words.length > 0) {
    throw new UsageError('give the command either as --command "CMD ARGS…" or after --, not both');
  }
  if (words.length > 0) return words;
  if (options.command === undefined) return undefined;
  try {
    return splitCommand(options.command);
  } catch (error) {
    if (error instanceof CommandSplitError) throw new UsageError(`--command ${error.message}`);
    throw error;
  }
}

function addInput(
  ctx: CommandContext,
  name: string,
  words: string[],
  options: AddOptions,
): AddMcpServerInput {
  const command = commandOf(options, words);
  if ((options.url === undefined) === (command === undefined)) {
    throw new UsageError(
      'give exactly one of --url URL (remote server) or --command "CMD ARGS…" (local stdio server)',
    );
  }
  if (options.sse && options.url === undefined) throw new UsageError('--sse only applies to --url');
  if (options.env.length > 0 && command === undefined) {
    throw new UsageError('--env only applies to a local stdio server (--command)');
  }
  const input: AddMcpServerInput = { name };
  if (options.url !== undefined) {
    input.url = options.url;
    input.transport = options.sse ? 'sse' : 'streamable_http';
  }
  if (command !== undefined) input.command = command;
  if (options.env.length > 0) input.env = parseEnvFlags(options.env, ctx.io.env);
  if (!options.prefix) input.prefix = false;
  if (options.trustAnnotations) input.trustAnnotations = true;
  if (options.cost !== undefined) input.costMicroUsd = parseUsdFlag('--cost', options.cost);
  if (options.timeout !== undefined) {
    input.timeoutMs = parseMillisecondsFlag('--timeout', options.timeout, MAX_TIMEOUT_SECONDS);
  }
  return input;
}

function printAdded(ctx: CommandContext, server: McpServerView): void {
  ctx.io.out(
    `added MCP server ${inlineSafe(server.name)} (${server.transport}): ${plural(server.tools.length, 'tool')} pinned\n`,
  );
  if (server.envNames.length > 0) {
    ctx.io.out(`environment: ${server.envNames.map(inlineSafe).join(', ')} (values in the secret store)\n`);
  }
  if (server.tools.length > 0) {
    ctx.io.out(
      formatTable(
        ['TOOL', 'STATE'],
        server.tools.map((t) => [t.name, t.state]),
      ),
    );
  }
  ctx.io.out(
    server.trustAnnotations
      ? 'read-only hints are trusted: tools the server marks read-only run without approval under the default policy.\n'
      : 'every tool of this server counts as a write: calls need approval under the default policy (--trust-annotations changes that).\n',
  );
  printFlagWarnings(ctx, server.tools);
  printAuthorization(ctx, server);
}

function printServer(ctx: CommandContext, server: McpServerView): void {
  const rows: unknown[][] = [
    ['name', server.name],
    ['transport', server.transport],
    [server.url !== null ? 'url' : 'command', target(server)],
  ];
  if (server.transport === 'stdio') {
    rows.push(['env', server.envNames.length > 0 ? server.envNames.join(', ') : '(none)']);
  }
  rows.push(
    ['prefix', server.prefix ? `${server.name}__<tool>` : 'none (tools keep their own names)'],
    ['trust annotations', server.trustAnnotations ? 'yes' : 'no (every tool counts as a write)'],
    ['cost per call', usd(server.costMicroUsd)],
    ['timeout', timeoutText(server.timeoutMs)],
    ['added', server.createdAt],
    ['status', statusText(server)],
    ...authRows(ctx, server),
    ['tools', toolCounts(server)],
  );
  ctx.io.out(formatFields(rows));
  if (server.tools.length > 0) ctx.io.out(`\n${toolTable(server.tools)}`);
  if (server.tools.some((t) => t.state === 'quarantined')) {
    ctx.io.out(
      `\nquarantined tools are hidden from agents; review them with \`${ctx.cli} mcp review ${shellQuote(server.name)}\`\n`,
    );
  }
  printFlagWarnings(ctx, server.tools);
}

function printAccepted(ctx: CommandContext, server: McpServerView, accepted: string[]): void {
  if (accepted.length === 0) {
    ctx.io.out(`nothing to accept: no tool of ${inlineSafe(server.name)} is quarantined\n`);
    return;
  }
  ctx.io.out(
    `accepted ${plural(accepted.length, 'tool definition')} of ${inlineSafe(server.name)}; agents see ${accepted.length === 1 ? 'it' : 'them'} now:\n`,
  );
  for (const tool of accepted) ctx.io.out(`  ${inlineSafe(tool)}\n`);
}

function printPending(ctx: CommandContext, server: McpServerView, pending: McpToolView[]): void {
  if (pending.length === 0) {
    ctx.io.out(`nothing to review: every tool of ${inlineSafe(server.name)} matches its pinned definition\n`);
    return;
  }
  ctx.io.out(
    `${plural(pending.length, 'tool')} of ${inlineSafe(server.name)} ${pending.length === 1 ? 'is' : 'are'} quarantined (hidden from agents):\n`,
  );
  for (const tool of pending) ctx.io.out(`\n${reviewLines(tool).join('\n')}\n`);
  ctx.io.out(
    `\nto accept ${pending.length === 1 ? 'it' : 'all of them'}: ${ctx.cli} mcp review ${shellQuote(server.name)} --accept\n`,
  );
}

function target(server: McpServerView): string {
  if (server.url !== null) return server.url;
  return (server.command ?? []).map(shellQuote).join(' ');
}

/** Connection state; the authorization has its own column (list) and block (show). */
function statusText(server: McpServerView): string {
  const { connected, lastError } = server.status;
  const parts = [connected ? 'connected' : 'not connected'];
  if (lastError) parts.push(`last error: ${lastError}`);
  return parts.join('; ');
}

function toolCounts(server: McpServerView): string {
  const quarantined = server.tools.filter((t) => t.state === 'quarantined').length;
  return `${server.tools.length - quarantined} active, ${quarantined} quarantined`;
}

function toolTable(tools: McpToolView[]): string {
  return formatTable(
    ['NAME', 'UPSTREAM', 'STATE', 'CHANGE', 'FLAGS'],
    tools.map((t) => [t.name, t.upstreamName, t.state, t.change, t.flags.length]),
  );
}

/** Prints every flagged tool with its findings (stderr: a warning, not the command's result). */
function printFlagWarnings(ctx: CommandContext, tools: McpToolView[]): void {
  const flagged = tools.filter((t) => t.flags.length > 0);
  if (flagged.length === 0) return;
  ctx.io.err(
    `warning: ${plural(flagged.length, 'tool')} of this server ${flagged.length === 1 ? 'has' : 'have'} instruction-like text in ${flagged.length === 1 ? 'its definition' : 'their definitions'}.\n` +
      'An agent reads these descriptions; treat them as possible prompt injection:\n',
  );
  for (const tool of flagged) {
    ctx.io.err(`  ${inlineSafe(tool.name)}\n`);
    for (const flag of tool.flags) ctx.io.err(`    - ${inlineSafe(flag)}\n`);
  }
}

/** "5 s", "0.5 s"; "30 s (default)" for a server without its own timeout (or a daemon without the field). */
function timeoutText(timeoutMs: unknown): string {
  if (timeoutMs === null || timeoutMs === undefined) return `${DEFAULT_MCP_TIMEOUT_MS / 1000} s (default)`;
  return typeof timeoutMs === 'number' && Number.isSafeInteger(timeoutMs) && timeoutMs > 0
    ? `${timeoutMs / 1000} s`
    : 'invalid';
}

/** One printed line of a diff; the server's text is escaped, as every line it sends is hostile. */
function diffLineText(line: DiffLine | DiffGap): string {
  if (line.kind === 'gap') return `    @@ ${plural(line.count, 'unchanged line')} @@`;
  return `    ${line.kind} ${inlineSafe(line.text)}`.trimEnd();
}

/** A quarantined tool for review: a new tool in full, a changed one as a field-by-field diff. */
function reviewLines(tool: McpToolView): string[] {
  const kind = tool.change === 'new' ? 'new tool' : 'definition changed';
  const lines = [`${inlineSafe(tool.name)} (upstream ${inlineSafe(tool.upstreamName)}, ${kind})`];
  const pending = tool.pending as Record<string, unknown> | null;
  if (pending === null || typeof pending !== 'object') {
    lines.push('  the server no longer lists this tool; it stays hidden from agents');
  } else if (tool.change === 'new' || tool.pinned === null) {
    // The header already gives its name; every other field of the definition is shown, known or not.
    const fields = orderedFields(pending).filter((f) => f !== 'name' || pending.name !== tool.upstreamName);
    for (const field of fields) {
      lines.push(`  ${inlineSafe(field)}:`);
      for (const text of fieldLines(field, pending[field])) lines.push(`    ${inlineSafe(text)}`.trimEnd());
    }
  } else {
    const changes = diffDefinitions(tool.pinned, pending);
    if (changes.length === 0) {
      lines.push('  no field differs in its canonical form');
    } else {
      lines.push(`  changed: ${changes.map((c) => inlineSafe(c.field)).join(', ')} (- pinned, + pending)`);
    }
    for (const change of changes) {
      const status = change.status === 'changed' ? '' : ` (${change.status})`;
      lines.push(`  ${inlineSafe(change.field)}${status}:`, ...change.lines.map(diffLineText));
    }
  }
  for (const flag of tool.flags) lines.push(`  warning: ${inlineSafe(flag)}`);
  return lines;
}

/** `briefcase mcp add|list|show|remove|refresh|review|login|logout`. */
export function registerMcp(program: Command, act: ActionFactory): void {
  const mcp = program
    .command('mcp')
    .description(
      'register remote MCP servers, sign in to them, and review their tools (pinned definitions, quarantine)',
    );

  mcp
    .command('add')
    .description('register an MCP server: connect, list its tools and pin each definition')
    .argument(
      '<name>',
      `server name (1-${MAX_MCP_SERVER_NAME_LENGTH} letters, digits, ".", "_", "-"); tools appear as NAME__tool`,
    )
    .argument('[command...]', 'a stdio server command given after -- (alternative to --command)')
    .option('--url <url>', 'a remote server (Streamable HTTP unless --sse)')
    .option('--sse', 'use the older HTTP+SSE transport for --url')
    .option(
      '--command <cmd>',
      'a local stdio server, e.g. "node /abs/server.js stdio" (quotes work; no shell)',
    )
    .option(
      '--env <NAME=VALUE>',
      'environment for a stdio server, repeatable; NAME alone takes the value from your environment. Values go to the secret store and are never printed',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--no-prefix', 'publish tools under their own names instead of NAME__tool')
    .option(
      '--trust-annotations',
      "believe the server's read-only hints (otherwise every tool of it counts as a write and needs approval)",
    )
    .option('--cost <usd>', 'estimated cost per call in USD, e.g. 0.002 (default 0)')
    .option(
      '--timeout <seconds>',
      `deadline of every request to the server, connecting included, e.g. 5 or 0.5 (0.001 to ${MAX_TIMEOUT_SECONDS}; default ${DEFAULT_MCP_TIMEOUT_MS / 1000})`,
    )
    .action(
      act<AddOptions>(async (ctx, positionals, options) => {
        mcpHints(ctx);
        const [name = '', ...words] = positionals.flat();
        const input = addInput(ctx, name, words, options);
        const server = await ctx.client().addMcpServer(input);
        return reply(ctx, { server }, () => printAdded(ctx, server));
      }),
    );

  mcp
    .command('list')
    .description('list registered MCP servers')
    .action(
      act(async (ctx) => {
        mcpHints(ctx);
        return replyList(ctx, await ctx.client().listMcpServers(), {
          ...SERVER_LIST,
          empty: `no MCP servers; add one with \`${ctx.cli} mcp add NAME --url URL\``,
        });
      }),
    );

  mcp
    .command('show')
    .description('show one MCP server and its tools')
    .argument('<name>', 'server name')
    .action(
      act(async (ctx, [name]) => {
        mcpHints(ctx);
        const server = await ctx.client().getMcpServer(name ?? '');
        return reply(ctx, { server }, () => printServer(ctx, server));
      }),
    );

  mcp
    .command('remove')
    .description('remove an MCP server, its pinned tools and its stored environment values')
    .argument('<name>', 'server name')
    .action(
      act(async (ctx, [name]) => {
        mcpHints(ctx);
        await ctx.client().removeMcpServer(name ?? '');
        return reply(ctx, { removed: name }, () =>
          ctx.io.out(
            `removed MCP server ${inlineSafe(name ?? '')}: its tools left the catalog and its stored environment values were deleted\n`,
          ),
        );
      }),
    );

  mcp
    .command('refresh')
    .description("fetch the server's live tool list and compare it with the pins (changes are quarantined)")
    .argument('<name>', 'server name')
    .action(
      act(async (ctx, [name]) => {
        mcpHints(ctx);
        const { server, changes } = await ctx.client().refreshMcpServer(name ?? '');
        return reply(ctx, { server, changes }, () => {
          if (changes.length === 0) {
            ctx.io.out(`no changes: ${inlineSafe(server.name)} has ${toolCounts(server)}\n`);
          } else {
            ctx.io.out(`${plural(changes.length, 'change')} on ${inlineSafe(server.name)}:\n`);
            ctx.io.out(
              formatTable(
                ['TOOL', 'CHANGE'],
                changes.map((c) => [c.tool, c.change]),
              ),
            );
          }
          if (server.tools.some((t) => t.state === 'quarantined')) {
            ctx.io.out(
              `quarantined tools are hidden from agents until accepted: \`${ctx.cli} mcp review ${shellQuote(server.name)}\`\n`,
            );
          }
          printAuthorization(ctx, server);
        });
      }),
    );

  mcp
    .command('review')
    .description('show quarantined (new or changed) tools; with --accept, pin their new definitions')
    .argument('<name>', 'server name')
    .option('--accept', 'accept every pending definition of this server')
    .action(
      act<{ accept?: boolean }>(async (ctx, [name], options) => {
        mcpHints(ctx);
        const client = ctx.client();
        if (options.accept) {
          const { server, accepted } = await client.reviewMcpServer(name ?? '');
          return reply(ctx, { server, accepted }, () => printAccepted(ctx, server, accepted));
        }
        const server = await client.getMcpServer(name ?? '');
        const pending = server.tools.filter((t) => t.state === 'quarantined');
        return reply(ctx, { server: server.name, pending }, () => printPending(ctx, server, pending));
      }),
    );

  registerMcpAuth(mcp, act, mcpHints);
}
