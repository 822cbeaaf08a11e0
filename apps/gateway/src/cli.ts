import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient, resolveDataDir } from '@briefcase/client';
import { MAX_APPROVAL_WAIT_MS } from '@briefcase/core';
import { DEFAULT_APPROVAL_WAIT_MS, parseApprovalWait } from './approval-wait.js';
import { printClientConfig } from './client-config.js';
import { DAEMON_UNREACHABLE_MESSAGE } from './errors.js';
import { startHttpGateway } from './http.js';
import { GATEWAY_RUNTIME_FILE, removeGatewayRuntime, writeGatewayRuntime } from './runtime-file.js';
import { logToStderr } from './server.js';
import { runStdioGateway } from './stdio.js';
import { loadOrCreateGatewayToken } from './token.js';
import { GATEWAY_VERSION } from './version.js';

/** Where {@link runGatewayCli} reads its environment and writes. */
export interface GatewayCliIo {
  /** Default: `BRIEFCASE_DATA_DIR`, else the XDG data dir. */
  dataDir?: string;
  /**
   * The command an MCP client runs to start a stdio gateway, printed by `--print-config`.
   * Default: this Node binary and this package's `dist/main.js` with `--stdio`.
   */
  stdioCommand?: string[];
  /** Receives `--print-config` and `--help` output; default process.stdout. */
  out?: (text: string) => void;
  /** Receives diagnostics; default stderr. */
  log?: (message: string) => void;
  /** Resolves when the gateway should stop (answering calls in flight first); default SIGINT or SIGTERM. */
  stopSignal?: Promise<void>;
}

const USAGE = `Usage: briefcase-gateway (--stdio | --http HOST:PORT) [options]

Serves Credential Briefcase to an MCP client. Holds only the daemon's agent token
(<data dir>/agent.token) and, for HTTP, its own bearer token (<data dir>/gateway.token).

  --stdio                 serve one client over stdin/stdout (the client starts this command)
  --http HOST:PORT        serve Streamable HTTP on HOST:PORT (loopback only, e.g. 127.0.0.1:8766)
  --print-config          print client configuration (Claude, Cursor, VS Code) and exit
  --approval-wait SECS    hold a call that needs approval this long (0-${MAX_APPROVAL_WAIT_MS / 1000}, default ${DEFAULT_APPROVAL_WAIT_MS / 1000})
  --allow-origin ORIGIN   also accept this browser Origin (repeatable)
  --allow-remote          allow a non-loopback HOST (the token is then the only protection)
  -h, --help              show this help

The data dir is BRIEFCASE_DATA_DIR, else ~/.local/share/briefcase.
`;

/** Splits `HOST:PORT` (IPv6 as `[::1]:PORT`). Throws a usage message on anything else. */
export function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port > 65_535) {
    throw new UsageError(`--http expects HOST:PORT (e.g. 127.0.0.1:8766), got ${JSON.stringify(value)}`);
  }
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

class UsageError extends Error {}

function parseGatewayArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      stdio: { type: 'boolean' },
      http: { type: 'string' },
      'print-config': { type: 'boolean' },
      'approval-wait': { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'allow-remote': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * Writes {@link GATEWAY_RUNTIME_FILE} for `briefcase status` and `--print-config`, and returns
 * what removes it again (also run if the process exits without reaching it). Not being able to
 * write it costs only that report, so it is a warning, not a reason to stop.
 */
function recordRunning(dataDir: string, url: string, log: (message: string) => void): () => void {
  try {
    writeGatewayRuntime(dataDir, {
      url,
      transport: 'http',
      pid: process.pid,
      startedAt: new Date().toISOString(),
    });
  } catch (error) {
    log(
      `could not record the running gateway in ${dataDir}/${GATEWAY_RUNTIME_FILE}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return () => {};
  }
  const forget = () => {
    process.off('exit', forget);
    try {
      removeGatewayRuntime(dataDir);
    } catch {
      // Best effort: a stale file reads as "not running" once this pid is gone.
    }
  };
  process.once('exit', forget);
  return forget;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/**
 * Runs the gateway from command-line arguments (without the node and script names) and resolves
 * with an exit code: 0 when it ends normally, 2 on a usage error, 1 when it cannot start.
 * `briefcase gateway` forwards its arguments here.
 */
export async function runGatewayCli(argv: string[], io: GatewayCliIo = {}): Promise<number> {
  const out = io.out ?? ((text: string) => void process.stdout.write(text));
  const log = io.log ?? logToStderr;
  let values: ReturnType<typeof parseGatewayArgs>['values'];
  let http: { host: string; port: number } | undefined;
  let approvalWaitMs = DEFAULT_APPROVAL_WAIT_MS;
  try {
    values = parseGatewayArgs(argv).values;
    if (values.help) {
      out(USAGE);
      return 0;
    }
    if ((values.stdio === true) === (values.http !== undefined))
      throw new UsageError('choose exactly one of --stdio and --http');
    if (values.http !== undefined) http = parseHostPort(values.http);
    if (values['approval-wait'] !== undefined) {
      try {
        approvalWaitMs = parseApprovalWait(values['approval-wait'], '--approval-wait');
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
  } catch (error) {
    log(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }

  const dataDir = io.dataDir ?? resolveDataDir();
  const stdioCommand = io.stdioCommand ?? [
    process.execPath,
    fileURLToPath(new URL('./main.js', import.meta.url)),
    '--stdio',
  ];
  try {
    if (values['print-config']) {
      if (http === undefined) {
        out(printClientConfig({ transport: 'stdio', dataDir, command: stdioCommand }));
        return 0;
      }
      if (http.port === 0) throw new UsageError('--print-config needs a fixed port, not 0');
      const url = `http://${http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}/mcp`;
      const token = loadOrCreateGatewayToken(dataDir);
      out(printClientConfig({ transport: 'http', url, token, dataDir, command: stdioCommand }));
      return 0;
    }

    const client = createClient({ dataDir, role: 'agent' });
    const common = { client, approvalWaitMs, version: GATEWAY_VERSION, log };
    // Only a hint for the operator: the gateway may start before the daemon, and every call
    // reports an unreachable daemon on its own. Bounded, so it never holds the process open.
    const checkDaemon = () =>
      client.health({ signal: AbortSignal.timeout(2_000) }).catch(() => log(DAEMON_UNREACHABLE_MESSAGE));

    if (http === undefined) {
      const gateway = await runStdioGateway(common);
      void checkDaemon();
      // Stopped by a signal (the client's supervisor, Ctrl-C): answer held calls, then end.
      void (io.stopSignal ?? waitForSignal()).then(() => gateway.close());
      await gateway.closed;
      return 0;
    }
    const gateway = await startHttpGateway({
      ...common,
      host: http.host,
      port: http.port,
      token: loadOrCreateGatewayToken(dataDir),
      allowRemote: values['allow-remote'] === true,
      allowedOrigins: values['allow-origin'] ?? [],
    });
    log(
      `MCP endpoint ${gateway.url} (bearer token in ${dataDir}/gateway.token; --print-config shows client setup)`,
    );
    const forget = recordRunning(dataDir, gateway.url, log);
    try {
      await (io.stopSignal ?? waitForSignal());
      await gateway.close();
    } finally {
      forget();
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      log(error.message);
      return 2;
    }
    log(`cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
