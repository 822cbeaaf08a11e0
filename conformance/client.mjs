#!/usr/bin/env node
/**
 * The client under test for the conformance suite's client leg (`conformance client --command
 * "node conformance/client.mjs"`): the suite runs it once per scenario with the scenario's server
 * URL as the last argument and the scenario name in MCP_CONFORMANCE_SCENARIO.
 *
 * It plays a person using briefcase, through the CLI (in process, `runCli`), against a fresh
 * briefcased (in process, temp data dir, secrets in memory):
 *
 *   briefcase mcp add conformance --url URL
 *   briefcase mcp login conformance --no-browser     (when the server asks for a sign-in)
 *     -> the printed authorization URL is followed the way a browser would (GET, follow the
 *        authorization server's redirects, stop at the daemon's loopback redirect listener; the
 *        suite's authorization server approves without a page)
 *   briefcase tools list
 *   briefcase tools call conformance__<tool> --args '{}'   (each remote tool; the policy lets them run)
 *
 * Exit 0 when every step did what it should; else 1 with the failing step on stderr. The suite
 * scores its own checks from what it saw on the wire, not from this exit code alone.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '@briefcase/briefcased';
import { runCli } from '@briefcase/cli';
import { createLogger } from '@briefcase/telemetry';
import { conformancePolicy } from './policy.mjs';

const SERVER = 'conformance';
/** How many redirects a "browser" follows from the authorization URL before giving up. */
const MAX_REDIRECTS = 10;

const POLICY = conformancePolicy(SERVER);

const serverUrl = process.argv.at(-1);
const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '(none)';
/** CONFORMANCE_CLIENT_LOG=FILE also appends every line there (the suite shows a client's stderr only on failure). */
const say = (line) => {
  process.stderr.write(`client[${scenario}]: ${line}\n`);
  if (process.env.CONFORMANCE_CLIENT_LOG)
    appendFileSync(process.env.CONFORMANCE_CLIENT_LOG, `client[${scenario}]: ${line}\n`);
};

/** Runs one CLI command in process; returns its exit code and what it printed. */
async function cli(args, { onText } = {}) {
  let out = '';
  let err = '';
  const io = {
    out: (text) => {
      out += text;
      onText?.(out);
    },
    err: (text) => {
      err += text;
      onText?.(err);
    },
    outBulk: async (text) => {
      out += text;
    },
    env: {
      BRIEFCASE_DATA_DIR: dataDir,
      ...(process.env[SECRET_VAR] ? { [SECRET_VAR]: process.env[SECRET_VAR] } : {}),
    },
    stderrIsTty: false,
  };
  const code = await runCli(['node', 'briefcase', '--data-dir', dataDir, ...args], io);
  say(`briefcase ${args.join(' ')} -> exit ${code}${code === 0 ? '' : `: ${(err || out).trim()}`}`);
  return { code, out, err };
}

/**
 * Follows the authorization URL as a browser would, without a person: GET, and follow each
 * redirect until the response comes from the daemon's loopback redirect listener (the
 * `redirect_uri`), which finishes the login.
 */
async function actAsBrowser(authorizationUrl) {
  const redirectUri = new URL(
    new URL(authorizationUrl).searchParams.get('redirect_uri') ?? 'http://invalid/',
  );
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
    const response = await fetch(url, { redirect: 'manual' });
    await response.body?.cancel();
    if (url.origin === redirectUri.origin) return;
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      throw new Error(`the authorization server answered ${response.status} at ${url.origin}${url.pathname}`);
    }
    url = new URL(location, url);
  }
  throw new Error('too many redirects from the authorization URL');
}

/**
 * What the scenario hands a person out of band (MCP_CONFORMANCE_CONTEXT): a pre-registered client's
 * ID and secret, which the person passes as --client-id and, for the secret, an environment variable.
 */
const context = (() => {
  try {
    return JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT ?? '{}');
  } catch {
    return {};
  }
})();
const SECRET_VAR = 'CONFORMANCE_CLIENT_SECRET';
/** Where the suite's CIMD scenario expects the client's metadata document (its example client's URL). */
const CLIENT_METADATA_URL = 'https://conformance-test.local/client-metadata.json';

/**
 * The machine grant the scenario's credentials are for, as a person registering such a client would
 * know it, with the CLI arguments that sign in with it (secrets go to files or an environment
 * variable, never on the command line): a private key (`private_key_pem`) is a client_credentials
 * client with private_key_jwt; a workload identity token (`valid_jwt`) is for the JWT bearer grant;
 * an identity provider and the person's ID token there (`idp_issuer`, `idp_id_token`) are for
 * enterprise-managed authorization (SEP-990); a client secret alone is a client_credentials client
 * in the `auth/client-credentials-*` scenarios (the
 * context alone cannot tell it from an authorization code client's, as in `auth/pre-registration`).
 */
function machineGrantArgs() {
  if (typeof context.client_id !== 'string') return undefined;
  const secretFile = (name, value) => {
    const path = join(dataDir, name);
    writeFileSync(path, value, { mode: 0o600 });
    return path;
  };
  if (typeof context.idp_issuer === 'string' && typeof context.idp_id_token === 'string') {
    // Enterprise-managed authorization (SEP-990): the person's ID token from the company's IdP.
    const args = [
      '--grant',
      'enterprise',
      '--client-id',
      context.client_id,
      '--idp',
      context.idp_issuer,
      '--idp-client-id',
      String(context.idp_client_id),
      '--id-token-file',
      secretFile('id-token.jwt', context.idp_id_token),
    ];
    if (typeof context.client_secret === 'string') {
      process.env[SECRET_VAR] = context.client_secret;
      args.push('--client-secret-env', SECRET_VAR);
    }
    return args;
  }
  if (typeof context.private_key_pem === 'string') {
    return [
      '--grant',
      'client_credentials',
      '--client-id',
      context.client_id,
      '--private-key-file',
      secretFile('client-key.pem', context.private_key_pem),
      ...(typeof context.signing_algorithm === 'string' ? ['--signing-alg', context.signing_algorithm] : []),
    ];
  }
  if (typeof context.valid_jwt === 'string') {
    return [
      '--grant',
      'jwt-bearer',
      '--client-id',
      context.client_id,
      '--assertion-file',
      secretFile('workload.jwt', context.valid_jwt),
    ];
  }
  if (typeof context.client_secret === 'string' && scenario.startsWith('auth/client-credentials-')) {
    process.env[SECRET_VAR] = context.client_secret;
    return [
      '--grant',
      'client_credentials',
      '--client-id',
      context.client_id,
      '--client-secret-env',
      SECRET_VAR,
    ];
  }
  return undefined;
}

async function signIn() {
  const machine = machineGrantArgs();
  // No browser and no redirect for a machine grant: the login has finished when the command returns.
  if (machine) return cli(['mcp', 'login', SERVER, ...machine]);
  let opened = false;
  let browsing = Promise.resolve();
  const args = ['mcp', 'login', SERVER, '--no-browser'];
  if (typeof context.client_id === 'string') args.push('--client-id', context.client_id);
  // The person hosts a Client ID Metadata Document (`briefcase mcp client-metadata`) at the URL the
  // suite's scenarios expect; servers without CIMD support fall back to dynamic registration.
  else args.push('--client-metadata-url', CLIENT_METADATA_URL);
  if (typeof context.client_secret === 'string') {
    process.env[SECRET_VAR] = context.client_secret;
    args.push('--client-secret-env', SECRET_VAR);
  }
  const login = cli(args, {
    onText: (text) => {
      const url = /^(https?:\/\/\S+)$/m.exec(text)?.[1];
      if (url && !opened) {
        opened = true;
        browsing = actAsBrowser(url).catch((error) => say(`browser: ${error.message}`));
      }
    },
  });
  const result = await login;
  await browsing;
  return result;
}

const dataDir = mkdtempSync(join(tmpdir(), 'briefcase-conformance-client-'));
let exitCode = 1;
let daemon;
try {
  daemon = await startDaemon({
    dataDir,
    secretBackend: 'memory',
    env: {},
    logger: createLogger({ name: 'briefcased', level: 'warn', destination: process.stderr }),
    durability: 'normal',
  });
  const policy = join(dataDir, 'conformance.cedar');
  writeFileSync(policy, POLICY);
  if ((await cli(['policy', 'set', policy])).code !== 0) throw new Error('policy set failed');

  const added = await cli(['mcp', 'add', SERVER, '--url', serverUrl, '--json']);
  const needsLogin = added.code === 8 || /oauth_required|login/.test(added.out);
  if (added.code !== 0 && added.code !== 8) throw new Error('mcp add failed');
  if (needsLogin) {
    const login = await signIn();
    if (login.code !== 0) throw new Error('mcp login failed');
  }
  // A server may ask for more right after the sign-in (403 insufficient_scope on tools/list).
  // `mcp show` then says "sign-in required", and the person signs in again (step-up, once).
  const shown = await cli(['mcp', 'show', SERVER, '--json']);
  if (JSON.parse(shown.out || '{}').server?.auth?.state === 'oauth_required') {
    if ((await signIn()).code !== 0) throw new Error('mcp login (step-up) failed');
  }
  const listed = await cli(['tools', 'list', '--json']);
  if (listed.code !== 0) throw new Error('tools list failed');
  const tools = (JSON.parse(listed.out).tools ?? []).filter((tool) => tool.name.startsWith(`${SERVER}__`));
  for (const tool of tools) {
    let called = await cli(['tools', 'call', tool.name, '--args', '{}', '--json']);
    if (called.code === 8) {
      // oauth_required: the server wants more (step-up scope, RFC 6750 §3.1). The person signs in
      // again, as the error tells them to, and retries the call once.
      if ((await signIn()).code !== 0) throw new Error('mcp login (step-up) failed');
      called = await cli(['tools', 'call', tool.name, '--args', '{}', '--json']);
    }
    if (called.code !== 0 && called.code !== 6) throw new Error(`tools call ${tool.name} failed`);
  }
  exitCode = 0;
} catch (error) {
  say(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await daemon?.close().catch(() => {});
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(exitCode);
