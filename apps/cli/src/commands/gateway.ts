import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_APPROVAL_WAIT_MS } from '@briefcase/core';
import {
  clientConfig,
  DEFAULT_APPROVAL_WAIT_MS,
  loadOrCreateGatewayToken,
  MCP_CLIENT_FILES,
  MCP_CLIENTS,
  type McpClientName,
  parseHostPort,
  readGatewayRuntime,
  runGatewayCli,
} from '@briefcase/gateway';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { type CommandContext, printJson } from '../context.js';
import { EXIT, UsageError } from '../errors.js';

/** The HTTP gateway's port when none is given (`npm start`, `--print-config`); `BRIEFCASE_GATEWAY_PORT` overrides it. */
export const DEFAULT_GATEWAY_PORT = 8765;

interface GatewayOptions {
  stdio?: boolean;
  http?: string;
  printConfig?: boolean;
  client?: string;
  out?: string;
  approvalWait?: string;
  allowOrigin: string[];
}

/** The gateway port from `BRIEFCASE_GATEWAY_PORT`, else {@link DEFAULT_GATEWAY_PORT}. */
export function gatewayPortFromEnv(env: NodeJS.ProcessEnv): number {
  const text = env.BRIEFCASE_GATEWAY_PORT;
  if (text === undefined || text === '') return DEFAULT_GATEWAY_PORT;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port < 1 || port > 65_535) {
    throw new UsageError(`BRIEFCASE_GATEWAY_PORT must be a port number from 1 to 65535, got "${text}"`);
  }
  return port;
}

/** `PORT` or `HOST:PORT` (IPv6 as `[::1]:PORT`) → `HOST:PORT`, loopback by default. */
export function httpAddress(spec: string): string {
  const address = /^\d{1,5}$/.test(spec) ? `127.0.0.1:${spec}` : spec;
  try {
    parseHostPort(address);
  } catch {
    throw new UsageError(`--http expects [HOST:]PORT, e.g. 8765 or 127.0.0.1:8765, got "${spec}"`);
  }
  return address;
}

/** The command an MCP client runs to start this CLI's stdio gateway (absolute paths). */
export function stdioGatewayCommand(approvalWait?: string): string[] {
  const main = fileURLToPath(new URL('../main.js', import.meta.url));
  return [
    process.execPath,
    main,
    'gateway',
    '--stdio',
    ...(approvalWait === undefined ? [] : ['--approval-wait', approvalWait]),
  ];
}

function checkApprovalWait(text: string | undefined): void {
  if (text === undefined) return;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || seconds * 1000 > MAX_APPROVAL_WAIT_MS) {
    throw new UsageError(
      `--approval-wait must be a number of seconds from 0 to ${MAX_APPROVAL_WAIT_MS / 1000}, got "${text}"`,
    );
  }
}

/**
 * The `HOST:PORT` the HTTP entries of `--print-config` name when `--http` is not given: the
 * gateway that runs for this data dir (it records itself in `gateway.json`), else the default port,
 * and a note on stderr saying which, since a config pointing at the wrong port fails only later.
 */
function printedHttpAddress(ctx: CommandContext): string {
  const running = readGatewayRuntime(ctx.dataDir);
  if (running?.alive) {
    const url = new URL(running.url);
    ctx.io.err(`# using the gateway running for this data dir: ${running.url} (pid ${running.pid})\n`);
    return `${url.hostname}:${url.port || '80'}`;
  }
  const port = gatewayPortFromEnv(ctx.io.env);
  ctx.io.err(
    `# no gateway is running for ${ctx.dataDir}; the HTTP entries use port ${port}, where \`npm start\` listens by default\n`,
  );
  return `127.0.0.1:${port}`;
}

function urlOf(address: string): string {
  const { host, port } = parseHostPort(address);
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`;
}

/**
 * `--print-config --client NAME [--out FILE]`: one client's configuration, as pure JSON (pasteable,
 * or a whole file). `--out` writes it mode 0600 and never replaces an existing file, which may
 * hold the person's other servers.
 */
function printOneClient(
  ctx: CommandContext,
  client: McpClientName,
  command: string[],
  http: string | undefined,
  out: string | undefined,
): number {
  const transport = http === undefined ? 'stdio' : 'http';
  const needsToken = transport === 'http' && client !== 'vscode' && client !== 'claude-desktop';
  const { config, containsToken } = clientConfig(client, {
    transport,
    dataDir: ctx.dataDir,
    command,
    ...(http === undefined ? {} : { url: urlOf(http) }),
    ...(needsToken ? { token: loadOrCreateGatewayToken(ctx.dataDir) } : {}),
  });
  const text = ctx.json ? `${JSON.stringify(config)}\n` : `${JSON.stringify(config, null, 2)}\n`;
  const secret = containsToken
    ? ' It contains the gateway token: keep it private and out of version control.'
    : '';
  if (out === undefined) {
    ctx.io.out(text);
    ctx.io.err(`# ${client}: this goes in ${MCP_CLIENT_FILES[client]}.${secret}\n`);
    return 0;
  }
  const file = resolve(out);
  try {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new UsageError(
        `${file} exists; not replacing it (it may configure other servers): merge the entry printed without --out by hand`,
      );
    }
    throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
  ctx.io.err(
    `wrote the ${client} configuration to ${file} (mode 0600); it goes in ${MCP_CLIENT_FILES[client]}.${secret}\n`,
  );
  if (ctx.json) printJson(ctx, { written: file, client });
  return 0;
}

/** `--json --print-config`: the server entries themselves, for a program to merge into a config. */
function jsonConfig(
  ctx: CommandContext,
  command: string[],
  http: string | undefined,
): Record<string, unknown> {
  const [executable, ...args] = command;
  const config: Record<string, unknown> = {
    stdio: { command: executable, args, env: { BRIEFCASE_DATA_DIR: ctx.dataDir } },
  };
  if (http !== undefined) {
    const { host, port } = parseHostPort(http);
    config.http = {
      url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/mcp`,
      headers: { Authorization: `Bearer ${loadOrCreateGatewayToken(ctx.dataDir)}` },
    };
  }
  return config;
}

/** `briefcase gateway`: the agent-facing MCP server (see docs/GATEWAY.md). */
export function registerGateway(program: Command, act: ActionFactory): void {
  program
    .command('gateway')
    .description(
      'run the MCP gateway agents connect to (it holds only the agent token), or print client config',
    )
    .option('--stdio', 'serve one MCP client over stdin/stdout (the client starts this command)')
    .option('--http <[host:]port>', 'serve Streamable HTTP at http://HOST:PORT/mcp (host default 127.0.0.1)')
    .option(
      '--print-config',
      'print MCP client configuration (Claude, Cursor, VS Code) and exit; without --stdio/--http: both',
    )
    .option(
      '--client <name>',
      `with --print-config: only this client's configuration, as JSON (${MCP_CLIENTS.join(', ')})`,
    )
    .option('--out <file>', 'with --client: write the configuration to a new file, mode 0600')
    .option(
      '--approval-wait <seconds>',
      `hold a call that needs approval this long (0-${MAX_APPROVAL_WAIT_MS / 1000}, default ${DEFAULT_APPROVAL_WAIT_MS / 1000})`,
    )
    .option(
      '--allow-origin <origin>',
      'also accept this browser Origin over HTTP (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .action(
      act<GatewayOptions>(async (ctx, _args, options) => {
        if (options.stdio && options.http !== undefined)
          throw new UsageError('choose one of --stdio and --http');
        checkApprovalWait(options.approvalWait);
        const http = options.http === undefined ? undefined : httpAddress(options.http);
        const stdioCommand = stdioGatewayCommand(options.approvalWait);
        if (!options.printConfig && !options.stdio && http === undefined) {
          throw new UsageError('choose --stdio or --http [HOST:]PORT (or --print-config)');
        }
        if (!options.printConfig && (options.client !== undefined || options.out !== undefined)) {
          throw new UsageError('--client and --out go with --print-config');
        }
        if (options.out !== undefined && options.client === undefined) {
          throw new UsageError(
            `--out writes one client's configuration: add --client (${MCP_CLIENTS.join(', ')})`,
          );
        }
        const client = options.client;
        if (client !== undefined && !(MCP_CLIENTS as readonly string[]).includes(client)) {
          throw new UsageError(`--client must be one of ${MCP_CLIENTS.join(', ')}, got "${client}"`);
        }
        // The HTTP entries name the gateway that runs (or the default port, saying so).
        const printedHttp =
          options.printConfig && !options.stdio ? (http ?? printedHttpAddress(ctx)) : undefined;
        if (client !== undefined) {
          return printOneClient(ctx, client as McpClientName, stdioCommand, printedHttp, options.out);
        }
        if (options.printConfig && ctx.json) {
          printJson(ctx, jsonConfig(ctx, stdioCommand, printedHttp));
          return 0;
        }

        let lastLog = '';
        const run = (transport: string[]) =>
          runGatewayCli(
            [
              ...transport,
              ...(options.printConfig ? ['--print-config'] : []),
              ...(options.approvalWait === undefined ? [] : ['--approval-wait', options.approvalWait]),
              ...options.allowOrigin.flatMap((origin) => ['--allow-origin', origin]),
            ],
            {
              dataDir: ctx.dataDir,
              stdioCommand,
              out: (text) => ctx.io.out(text),
              log: (message) => {
                lastLog = message;
                ctx.io.err(`briefcase gateway: ${message}\n`);
              },
            },
          );

        let code: number;
        if (options.printConfig && !options.stdio && http === undefined) {
          // Both: the stdio entry, then the HTTP entries for the port `npm start` uses.
          ctx.io.out('# ---- stdio: the MCP client starts the gateway itself ----\n');
          code = await run(['--stdio']);
          if (code === 0) {
            ctx.io.out(
              `\n# ---- http: a running gateway (npm start, or briefcase gateway --http PORT) ----\n`,
            );
            code = await run(['--http', printedHttp ?? `127.0.0.1:${gatewayPortFromEnv(ctx.io.env)}`]);
          }
        } else {
          code = await run(http === undefined ? ['--stdio'] : ['--http', http]);
        }
        if (code !== 0 && ctx.json) {
          printJson(ctx, {
            error: {
              code: code === EXIT.usage ? 'usage_error' : 'internal_error',
              message: lastLog.split('\n')[0] || 'the gateway failed',
            },
          });
        }
        return code === EXIT.usage ? EXIT.usage : code === 0 ? 0 : EXIT.internal;
      }),
    );
}
