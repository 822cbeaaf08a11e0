import { fileURLToPath } from 'node:url';
import { MAX_APPROVAL_WAIT_MS } from '@briefcase/core';
import {
  DEFAULT_APPROVAL_WAIT_MS,
  loadOrCreateGatewayToken,
  parseHostPort,
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
        if (options.printConfig && ctx.json) {
          const printedHttp = options.stdio
            ? undefined
            : (http ?? `127.0.0.1:${gatewayPortFromEnv(ctx.io.env)}`);
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
            code = await run(['--http', `127.0.0.1:${gatewayPortFromEnv(ctx.io.env)}`]);
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
