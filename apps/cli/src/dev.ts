#!/usr/bin/env node
/**
 * `npm start`: briefcased in this foreground process and the HTTP MCP gateway in a child process,
 * with development defaults (data dir `./.briefcase` unless BRIEFCASE_DATA_DIR is set, warnings-only
 * log, secrets in memory when neither a keyring nor a passphrase is available).
 *
 * The gateway is the agent-facing side, so it gets its own process: nothing of the daemon's memory
 * (secrets, passphrase) is in its address space, its environment carries no secret, and it reaches
 * the daemon only through the socket with the agent token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promptPassphraseOnTty, type RunningDaemon, startDaemon } from '@briefcase/briefcased';
import {
  GATEWAY_TOKEN_FILE,
  loadOrCreateGatewayToken,
  parseApprovalWait,
  printClientConfig,
} from '@briefcase/gateway';
import { gatewayPortFromEnv, stdioGatewayCommand } from './commands/gateway.js';
import { shellQuote } from './output.js';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const GATEWAY_HOST = '127.0.0.1';
const GATEWAY_MAIN = fileURLToPath(new URL('../../gateway/dist/main.js', import.meta.url));
/** The only variables the gateway process inherits: none of them is a secret. */
const GATEWAY_ENV_NAMES = [
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'BRIEFCASE_LOG_LEVEL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
];

function fail(message: string, exitCode: number): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(exitCode);
}

/** The `mcp add` line of the banner, using the copy of server-everything `npm install` put here. */
function everythingExample(cli: string): string {
  const server = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
  if (!existsSync(server))
    return `  ${cli} mcp add NAME --url https://example.com/mcp     # a remote MCP server`;
  // Stdio servers get a fixed PATH, so name node by its absolute path.
  const command = [process.execPath, server, 'stdio'].map(shellQuote).join(' ');
  return [
    `  ${cli} mcp add everything --command ${shellQuote(command)}`,
    `  ${cli} mcp show everything`,
    `  ${cli} tools call everything__echo --args '{"message":"hi"}'     # remote tools need approval`,
  ].join('\n');
}

function banner(daemon: RunningDaemon, gatewayUrl: string, token: string): string {
  const dataDir = daemon.dataDir;
  const cli = 'npx briefcase';
  const command = stdioGatewayCommand();
  return `
briefcased and the MCP gateway are running.
  data dir:     ${dataDir}
  socket:       ${daemon.socketPath}${daemon.tcpUrl ? `\n  tcp:          ${daemon.tcpUrl}` : ''}
  MCP gateway:  ${gatewayUrl}   (bearer token in ${join(dataDir, GATEWAY_TOKEN_FILE)})

== Connect an MCP client over HTTP, to this running gateway ==
${printClientConfig({ transport: 'http', url: gatewayUrl, token, dataDir, command })}
== Or over stdio: the client starts its own gateway (this daemon must be running) ==
${printClientConfig({ transport: 'stdio', dataDir, command })}
== In another shell, from this directory ==
  export BRIEFCASE_DATA_DIR=${shellQuote(dataDir)}
  ${cli} tools list
  ${cli} tools call note_add --args '{"text":"hello"}'     # needs approval
  ${cli} approvals list
  ${cli} approvals approve <id>
  ${cli} tools call note_add --args '{"text":"hello"}'     # same call again: goes through
  ${cli} receipts verify
${everythingExample(cli)}

Stop with Ctrl-C.
`;
}

async function main(): Promise<void> {
  let port: number;
  // BRIEFCASE_APPROVAL_WAIT (seconds) becomes the gateway's --approval-wait; checked here, before
  // anything starts, so a typo is one clear line and exit 2 rather than a gateway that will not start.
  const approvalWait = process.env.BRIEFCASE_APPROVAL_WAIT;
  try {
    port = gatewayPortFromEnv(process.env);
    if (approvalWait !== undefined) parseApprovalWait(approvalWait, 'BRIEFCASE_APPROVAL_WAIT');
  } catch (error) {
    fail((error as Error).message, 2);
  }
  const dataDir = process.env.BRIEFCASE_DATA_DIR
    ? resolve(process.env.BRIEFCASE_DATA_DIR)
    : resolve('.briefcase');
  const prompt = promptPassphraseOnTty();
  const daemon = await startDaemon({
    dataDir,
    dev: true,
    env: process.env,
    ...(prompt ? { promptPassphrase: prompt } : {}),
    // The banner is the interface; keep the JSON log to warnings and errors.
    ...(process.env.BRIEFCASE_LOG_LEVEL ? {} : { logLevel: 'warn' }),
  }).catch((error: unknown) =>
    fail(`briefcased could not start: ${error instanceof Error ? error.message : String(error)}`, 1),
  );

  const token = loadOrCreateGatewayToken(dataDir);
  const env: NodeJS.ProcessEnv = { BRIEFCASE_DATA_DIR: dataDir };
  for (const name of GATEWAY_ENV_NAMES) if (process.env[name] !== undefined) env[name] = process.env[name];
  const gatewayArgs = [GATEWAY_MAIN, '--http', `${GATEWAY_HOST}:${port}`];
  if (approvalWait !== undefined) gatewayArgs.push('--approval-wait', approvalWait);
  const gateway: ChildProcess = spawn(process.execPath, gatewayArgs, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let started = false;
  const gatewayUrl = await new Promise<string>((resolveUrl, reject) => {
    let said = '';
    gateway.stderr?.setEncoding('utf8');
    gateway.stderr?.on('data', (chunk: string) => {
      if (started) return void process.stderr.write(chunk);
      said += chunk;
      const url = /MCP endpoint (\S+)/.exec(said)?.[1];
      if (url) {
        started = true;
        resolveUrl(url);
      }
    });
    gateway.once('exit', () => {
      if (!started) reject(new Error(said.trim() || 'the gateway process exited'));
    });
  }).catch(async (error: Error) => {
    await daemon.close();
    if (/EADDRINUSE/.test(error.message)) {
      fail(
        `the MCP gateway cannot listen on ${GATEWAY_HOST}:${port}: the port is in use (another \`npm start\`?). ` +
          `Stop that process, or choose another port: BRIEFCASE_GATEWAY_PORT=${port === 65_535 ? port - 1 : port + 1} npm start`,
        1,
      );
    }
    fail(`the MCP gateway could not start: ${error.message}`, 1);
  });
  process.stdout.write(banner(daemon, gatewayUrl, token));

  let stopping = false;
  const gatewayExited = new Promise<void>((done) => gateway.once('exit', () => done()));
  gateway.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(
      `npm start: the MCP gateway stopped unexpectedly (${signal ?? code}); stopping briefcased.\n`,
    );
    void daemon.close().finally(() => process.exit(1));
  });
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      // A second Ctrl-C while closing means "now".
      gateway.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    let clean = true;
    // Gateway first, daemon after it exited: the gateway answers held calls (shutting_down) and ends
    // its daemon requests, and briefcased must still be up to receipt what those requests leave behind.
    gateway.kill('SIGTERM');
    await gatewayExited;
    try {
      await daemon.close();
    } catch (error) {
      clean = false;
      process.stderr.write(
        `npm start: closing failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.stdout.write(`briefcased and the MCP gateway stopped (${signal}).\n`);
    process.exit(clean ? 0 : 1);
  };
  process.on('SIGINT', (signal) => void stop(signal));
  process.on('SIGTERM', (signal) => void stop(signal));
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
