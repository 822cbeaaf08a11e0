#!/usr/bin/env node
/**
 * `npm start`: briefcased in this foreground process and the HTTP MCP gateway in a child process,
 * with development defaults (data dir `./.briefcase` unless BRIEFCASE_DATA_DIR is set, warnings-only
 * log, secrets in memory when neither a keyring nor a passphrase is available).
 *
 * It is also where the person hears of an agent waiting: each new pending approval prints a line
 * (and a bell, and a desktop notification where there is one) with the command that decides it.
 *
 * The gateway is the agent-facing side, so it gets its own process: nothing of the daemon's memory
 * (secrets, passphrase) is in its address space, its environment carries no secret, and it reaches
 * the daemon only through the socket with the agent token.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promptPassphraseOnTty, type RunningDaemon, startDaemon } from '@briefcase/briefcased';
import { GATEWAY_TOKEN_FILE, loadOrCreateGatewayToken, parseApprovalWait } from '@briefcase/gateway';
import { gatewayPortFromEnv } from './commands/gateway.js';
import { CHECKOUT_ROOT, DEV_DATA_DIR_NAME } from './data-dir.js';
import { createApprovalNotifier } from './notify.js';
import { shellQuote } from './output.js';
import { cliCommand, findOnPath } from './shim.js';

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

/** Where the CLI stands: on the PATH, or how to run it until it is. */
function cliNote(cli: string): string {
  if (cli === 'briefcase') return '  The CLI: `briefcase` (on your PATH), in any shell.';
  return [
    '  The CLI: `briefcase` is not on your PATH yet; `npm run install-cli` puts it in ~/.local/bin.',
    `  Until then, run it as \`${cli}\`${cli === 'npx briefcase' ? ' inside this checkout' : ''}.`,
  ].join('\n');
}

/**
 * The banner: where things are, how to connect a client, how approvals reach the person. Short on
 * purpose: client configurations are one command away instead of printed, and the gateway token
 * appears once, with the file that holds it.
 */
function banner(daemon: RunningDaemon, gatewayUrl: string, token: string, cli: string): string {
  const dataDir = daemon.dataDir;
  // The CLI finds `.briefcase` from the checkout by itself; another data dir must be named.
  const found = dataDir === join(CHECKOUT_ROOT, DEV_DATA_DIR_NAME) || dataDir === resolve(DEV_DATA_DIR_NAME);
  const exportLine = found
    ? ''
    : `\n  In the shell you run the CLI from: export BRIEFCASE_DATA_DIR=${shellQuote(dataDir)}`;
  return `
briefcased and the MCP gateway are running.
  data dir:      ${dataDir}
  MCP gateway:   ${gatewayUrl}
  bearer token:  ${token}
                 (in ${join(dataDir, GATEWAY_TOKEN_FILE)}; keep it private, it opens the gateway)

Connect an MCP client: print its configuration (--out FILE writes it, mode 0600):
  ${cli} gateway --print-config --client claude-code     (or cursor, vscode, claude-desktop)

Approvals: a call that needs you is announced here, with the command that approves it${
    desktopNotifications(process.env) ? ' (and a desktop notification)' : ''
  }.
  Follow them from another shell: ${cli} approvals watch

${cliNote(cli)}${exportLine}
  Try: ${cli} tools call note_add --args '{"text":"hello"}'     (needs your approval)

Stop with Ctrl-C.
`;
}

/** Whether approvals also raise a desktop notification (notify-send present, BRIEFCASE_NOTIFY not 0). */
function desktopNotifications(env: NodeJS.ProcessEnv): boolean {
  return env.BRIEFCASE_NOTIFY !== '0' && findOnPath('notify-send', env) !== undefined;
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
    : resolve(DEV_DATA_DIR_NAME);
  // Log lines for a person on a terminal; JSON for a pipe or with `npm start -- --json`.
  const humanLogs =
    process.stdout.isTTY === true &&
    !process.argv.includes('--json') &&
    process.env.BRIEFCASE_LOG_FORMAT !== 'json';
  const prompt = promptPassphraseOnTty();
  const daemon = await startDaemon({
    dataDir,
    dev: true,
    env: process.env,
    ...(prompt ? { promptPassphrase: prompt } : {}),
    // The banner is the interface; keep the log to warnings and errors.
    ...(process.env.BRIEFCASE_LOG_LEVEL ? {} : { logLevel: 'warn' }),
    logFormat: humanLogs ? 'human' : 'json',
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
  const cli = cliCommand(process.env, process.cwd());
  process.stdout.write(banner(daemon, gatewayUrl, token, cli));

  // Each new pending approval: a line (and bell) here, a desktop notification where there is one.
  const notify = createApprovalNotifier({
    write: (text) => void process.stdout.write(text),
    bell: process.stdout.isTTY === true,
    cli,
    env: process.env,
  });
  daemon.approvalEvents.subscribe((event) => {
    if (event.type !== 'created') return;
    try {
      notify(event.approval);
    } catch {
      // Telling the person must never break the call that asked for approval.
    }
  });

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
