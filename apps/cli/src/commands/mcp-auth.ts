import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { McpAuthView, McpLogin, McpLoginInput, McpServerView } from '@briefcase/client';
import { ERROR_CATALOG, isBriefcaseError, isErrorCode, isRecord } from '@briefcase/core';
import { clientMetadataDocument } from '@briefcase/oauth';
import type { Command } from 'commander';
import type { ActionFactory } from '../action.js';
import { type CommandContext, printJson } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { inlineSafe, shellQuote, terminalSafe } from '../output.js';
import { formatFields, reply } from '../reply.js';

/** How long one status request asks the daemon to hold the answer while the login is pending. */
const POLL_WAIT_MS = 30_000;
/** Past the login's own deadline, how long we still wait for the daemon to report its end. */
const EXPIRY_GRACE_MS = 60_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

interface LoginOptions {
  grant?: string;
  idp?: string;
  idpClientId?: string;
  idTokenFile?: string;
  clientAuth?: string;
  privateKeyFile?: string;
  signingAlg?: string;
  assertionFile?: string;
  clientId?: string;
  clientSecretEnv?: string;
  scope?: string;
  clientMetadataUrl?: string;
  browser: boolean;
  omitResource?: boolean;
  oidcOnly?: boolean;
  dynamicRegistration: boolean;
}

function quirksOf(raw: unknown): McpAuthView['quirks'] {
  const q = isRecord(raw) ? raw : {};
  return {
    omitResource: q.omitResource === true,
    oidcOnly: q.oidcOnly === true,
    noDynamicRegistration: q.noDynamicRegistration === true,
  };
}

/** The login flags of the quirks that are on, e.g. `--omit-resource`. */
function quirkFlags(quirks: McpAuthView['quirks']): string[] {
  return [
    ...(quirks.omitResource ? ['--omit-resource'] : []),
    ...(quirks.oidcOnly ? ['--oidc-only'] : []),
    ...(quirks.noDynamicRegistration ? ['--no-dynamic-registration'] : []),
  ];
}

/** A server's authorization as shown; tolerates a daemon that sends no or a malformed `auth`. */
function authOf(server: McpServerView): McpAuthView & { needsLogin: boolean } {
  const raw = (server as { auth?: unknown }).auth;
  const auth: Partial<Record<keyof McpAuthView, unknown>> = isRecord(raw) ? raw : {};
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  const state = auth.state === 'authorized' || auth.state === 'oauth_required' ? auth.state : 'none';
  const tokenType = auth.tokenType === 'DPoP' || auth.tokenType === 'Bearer' ? auth.tokenType : null;
  return {
    state,
    reason: text(auth.reason),
    issuer: text(auth.issuer),
    scope: text(auth.scope),
    tokenType,
    bearerReason: text(auth.bearerReason),
    expiresAt: text(auth.expiresAt),
    clientSource: text(auth.clientSource),
    ...(auth.grant === 'authorization_code' ||
    auth.grant === 'client_credentials' ||
    auth.grant === 'jwt_bearer' ||
    auth.grant === 'enterprise'
      ? { grant: auth.grant }
      : {}),
    quirks: quirksOf(auth.quirks),
    // Without a stored grant, the server's own 401 is what says a sign-in is needed. With one, the
    // grant's state decides: a rejected token already turned it to oauth_required, and the live flag
    // lags behind a fresh login until the daemon has reconnected.
    needsLogin:
      state === 'oauth_required' || (state === 'none' && server.status.authorization === 'oauth_required'),
  };
}

const REASONS: Record<string, string> = {
  logged_out: 'logged out',
  login_required: 'the grant ended (expired or revoked at the server); its tokens were dropped',
  token_rejected: 'the server rejected the access token even after a refresh',
  invalid_client: 'the authorization server rejected the client',
  discovery_failed: "the authorization server's metadata could not be fetched",
};

/** The scope an `insufficient_scope: SCOPE` reason names. */
function missingScope(reason: string | null): string | undefined {
  const match = /^insufficient_scope: (.+)$/.exec(reason ?? '');
  return match?.[1];
}

function reasonText(reason: string | null): string {
  if (reason === null) return 'the server answered 401 (not signed in)';
  const scope = missingScope(reason);
  if (scope !== undefined) return `the server needs the scope ${scope} (insufficient_scope)`;
  if (reason === 'insufficient_scope')
    return 'the server needs more scope than was granted (insufficient_scope)';
  const known = REASONS[reason];
  return known === undefined ? reason : `${known} (${reason})`;
}

/**
 * The command that signs in to `server` again. Quirks are remembered by the daemon; a missing
 * scope is added to the granted ones, since a login otherwise asks for what the server's bare 401
 * names, which may not include it.
 */
export function loginCommand(ctx: CommandContext, server: McpServerView): string {
  const base = `${ctx.cli} mcp login ${shellQuote(server.name)}`;
  const auth = authOf(server);
  // A machine grant signs in again the same way, with its credentials given again (placeholders:
  // the daemon never hands a credential back).
  const machine = auth.grant === undefined ? undefined : MACHINE_LOGIN[auth.grant];
  if (machine !== undefined) return `${base} ${machine}`;
  const needed = missingScope(auth.reason);
  if (needed === undefined) return base;
  const scopes = [...new Set([...(auth.scope ?? '').split(' '), ...needed.split(' ')])].filter(Boolean);
  return `${base} --scope ${shellQuote(scopes.join(' '))}`;
}

/** The `mcp login` arguments of each machine grant, with placeholders for what the person gives. */
const MACHINE_LOGIN: Record<string, string> = {
  client_credentials:
    '--grant client_credentials --client-id ID (--client-secret-env VAR | --private-key-file FILE)',
  jwt_bearer: '--grant jwt-bearer --client-id ID --assertion-file FILE',
  enterprise:
    '--grant enterprise --client-id ID [--client-secret-env VAR] --idp URL --idp-client-id IDP_ID --id-token-file FILE',
};

const BEARER_REASONS: Record<string, string> = {
  dpop_not_advertised: 'the authorization server does not advertise DPoP',
  algorithm_not_advertised: "the authorization server does not accept the algorithm of the daemon's dpop key",
  // briefcased asks for no DPoP key when the server advertises no DPoP algorithm at all.
  no_signer: 'the authorization server does not advertise DPoP (no DPoP key was used)',
};

function tokenText(auth: McpAuthView): string {
  if (auth.tokenType === 'DPoP') return "DPoP (RFC 9449): bound to the daemon's dpop key, useless without it";
  if (auth.tokenType === 'Bearer') {
    const why =
      auth.bearerReason === null
        ? 'the authorization server issued a bearer token'
        : (BEARER_REASONS[auth.bearerReason] ?? auth.bearerReason);
    return `bearer: ${why}`;
  }
  return 'unknown';
}

const GRANT_TEXT: Record<string, string> = {
  authorization_code: 'authorization code (a person signed in)',
  client_credentials: 'client credentials (no person; briefcased repeats it when the token expires)',
  jwt_bearer:
    'JWT bearer assertion (no person; briefcased presents the stored assertion again when the token expires)',
  enterprise:
    'enterprise-managed (SEP-990: ID token exchanged at the identity provider, then JWT bearer; repeated when the token expires)',
};

const CLIENT_SOURCES: Record<string, string> = {
  preregistered: 'pre-registered (--client-id)',
  metadata_document: 'client ID metadata document',
  dynamic_registration: 'dynamic client registration (RFC 7591)',
};

function expiryText(expiresAt: string | null, now: number): string {
  if (expiresAt === null) return 'not stated by the server';
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return expiresAt;
  const minutes = Math.round((at - now) / 60_000);
  if (at <= now) return `${expiresAt} (expired; refreshed at the next call)`;
  return `${expiresAt} (in ${minutes < 1 ? 'under a minute' : `${minutes} min`}; refreshed automatically)`;
}

/** Rows of `mcp show` (and of a finished login) about the server's authorization. Never a token. */
export function authRows(ctx: CommandContext, server: McpServerView): unknown[][] {
  const auth = authOf(server);
  if (auth.needsLogin) {
    const rows: unknown[][] = [
      [
        'authorization',
        `sign-in required: ${reasonText(auth.state === 'oauth_required' ? auth.reason : null)}`,
      ],
      ['  sign in with', loginCommand(ctx, server)],
    ];
    if (auth.issuer !== null) rows.push(['  issuer', auth.issuer]);
    return rows;
  }
  if (auth.state === 'authorized') {
    return [
      ['authorization', 'authorized (OAuth)'],
      ['  issuer', auth.issuer ?? 'unknown'],
      ['  scopes', auth.scope ?? '(none stated)'],
      ['  token', tokenText(auth)],
      ['  expires', expiryText(auth.expiresAt, Date.now())],
      [
        '  client',
        auth.clientSource === null ? 'unknown' : (CLIENT_SOURCES[auth.clientSource] ?? auth.clientSource),
      ],
      ...(auth.grant !== undefined ? [['  grant', GRANT_TEXT[auth.grant] ?? auth.grant]] : []),
      ...(quirkFlags(auth.quirks).length > 0 ? [['  quirks', quirkFlags(auth.quirks).join(' ')]] : []),
    ];
  }
  return [
    ['authorization', server.url === null ? 'none (local stdio server)' : 'none (no sign-in asked for)'],
  ];
}

/** One word or two for `mcp list`: none, DPoP, bearer, sign-in required. */
export function authCompact(server: McpServerView): string {
  const auth = authOf(server);
  if (auth.needsLogin) return 'sign-in required';
  if (auth.state === 'authorized') return auth.tokenType === 'DPoP' ? 'DPoP' : 'bearer';
  return 'none';
}

/** Tells a person on stderr that `server` needs a sign-in, and how. */
export function printAuthorization(ctx: CommandContext, server: McpServerView): void {
  if (!authOf(server).needsLogin) return;
  ctx.io.err(
    `authorization: ${inlineSafe(server.name)} needs a person to sign in before its tools can be listed or called;\n` +
      `  sign in with \`${inlineSafe(loginCommand(ctx, server))}\`.\n`,
  );
}

/** The program and argv that open `url` in the default browser, per platform; none runs a shell. */
export function browserCommand(platform: NodeJS.Platform, url: string): [string, string[]] {
  if (platform === 'darwin') return ['open', [url]];
  // `start` is a cmd.exe builtin: it needs a shell, which would read `&` in the URL as a command
  // separator. rundll32's URL handler takes the URL as a plain argument instead.
  if (platform === 'win32') return ['rundll32.exe', ['url.dll,FileProtocolHandler', url]];
  return ['xdg-open', [url]];
}

/**
 * Opens an http(s) URL in the browser, detached and silent; every failure is ignored, since the
 * URL is printed for the person anyway. Returns whether a browser was asked to open it.
 */
export function openBrowser(url: string, env: NodeJS.ProcessEnv): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  try {
    const [command, args] = browserCommand(process.platform, parsed.href);
    const child = spawn(command, args, { detached: true, stdio: 'ignore', env, shell: false });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

/** What a person can do about a login that failed with `reason` (see packages/oauth's reasons). */
function loginHint(reason: string | undefined): string | undefined {
  switch (reason) {
    case 'callback_timeout':
      return 'Nobody finished the sign-in in the browser within 5 minutes; run the command again.';
    case 'authorization_denied':
      return 'The authorization server did not grant access (refused at its login or consent page, or it rejected the request). Run the command again; if it rejects the `resource` parameter (Microsoft Entra ID), add --omit-resource.';
    case 'invalid_client':
      return 'The authorization server rejected the client. A dynamically registered client is forgotten, so running the command again registers a new one; for a pre-registered client, check --client-id and its secret.';
    case 'issuer_mismatch':
    case 'callback_invalid':
      return 'The answer that reached the redirect does not belong to this sign-in (state or issuer differ); run the command again.';
    case 'token_error':
      return 'The token endpoint refused the request (its error code is in the message). invalid_target: the server rejects the `resource` parameter, add --omit-resource; invalid_client: check --client-id and its secret.';
    case 'no_client_identity':
      return 'This authorization server needs a client registered with it: register a native app with the redirect URI http://127.0.0.1/callback (any port), then pass --client-id ID, and --client-secret-env VAR if it has a secret.';
    case 'registration_failed':
      return 'Dynamic client registration was refused: register a client yourself and pass --client-id ID (and --no-dynamic-registration so it is not tried again).';
    case 'metadata_not_found':
    case 'no_authorization_server':
    case 'resource_mismatch':
      return 'The server does not publish usable OAuth metadata (RFC 9728 protected resource metadata naming an authorization server). Check the URL with `briefcase mcp show`; see docs/OAUTH.md.';
    case 'metadata_invalid':
    case 'redirect':
      return 'The authorization server metadata is unusable. If the server only supports OpenID Connect discovery and its RFC 8414 URL misbehaves, try --oidc-only.';
    case 'invalid_client_key':
      return 'The --private-key-file must hold a P-256 (ES256), Ed25519 (EdDSA) or RSA 2048+ (RS256) private key in PEM, matching --signing-alg when given.';
    case 'insecure_url':
      return 'Every OAuth URL must be https (plain http only on 127.0.0.1 or ::1, not `localhost`).';
    case 'network_error':
      return 'The authorization server could not be reached; check the network and try again.';
    default:
      return undefined;
  }
}

/** The client secret, read from the environment variable `name` only; nothing secret is ever echoed. */
function clientSecretFrom(name: string, env: NodeJS.ProcessEnv): string {
  if (!ENV_NAME.test(name)) {
    throw new UsageError(
      '--client-secret-env takes the NAME of an environment variable (letters, digits and "_", not starting with a digit); the value given is not shown, in case it is the secret itself',
    );
  }
  const value = env[name];
  if (value === undefined || value === '') {
    throw new UsageError(
      `--client-secret-env ${name}: the variable ${name} is ${value === undefined ? 'not set' : 'empty'} in your environment; export it with the client secret first`,
    );
  }
  return value;
}

/** `--grant` values and what the daemon calls them. */
const GRANTS: Record<string, NonNullable<McpLoginInput['grant']>> = {
  authorization_code: 'authorization_code',
  client_credentials: 'client_credentials',
  'jwt-bearer': 'jwt_bearer',
  jwt_bearer: 'jwt_bearer',
  enterprise: 'enterprise',
};
const SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256'] as const;

/**
 * A secret read from a file a person names (a private key, an assertion): trimmed of surrounding
 * whitespace. Neither the content nor any part of it is ever printed; only the option and path.
 */
function secretFile(option: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new UsageError(
      `${option} ${path}: cannot read the file (${typeof code === 'string' ? code : 'error'})`,
    );
  }
  const value = text.trim();
  if (value === '') throw new UsageError(`${option} ${path}: the file is empty`);
  if (value.length > 16384) throw new UsageError(`${option} ${path}: the file is larger than 16 KiB`);
  return value;
}

/** The machine grant members of a login (`--grant client_credentials | jwt-bearer`). */
function grantInput(options: LoginOptions): Partial<McpLoginInput> {
  const grant = options.grant === undefined ? 'authorization_code' : GRANTS[options.grant];
  if (grant === undefined) {
    throw new UsageError('--grant takes authorization_code, client_credentials, jwt-bearer or enterprise');
  }
  const input: Partial<McpLoginInput> = grant === 'authorization_code' ? {} : { grant };
  if (options.signingAlg !== undefined && !(SIGNING_ALGS as readonly string[]).includes(options.signingAlg)) {
    throw new UsageError(`--signing-alg takes ${SIGNING_ALGS.join(', ')}`);
  }
  if (grant === 'authorization_code') {
    for (const [flag, given] of [
      ['--private-key-file', options.privateKeyFile],
      ['--assertion-file', options.assertionFile],
      ['--signing-alg', options.signingAlg],
      ['--idp', options.idp],
      ['--idp-client-id', options.idpClientId],
      ['--id-token-file', options.idTokenFile],
    ] as const) {
      if (given !== undefined)
        throw new UsageError(
          `${flag} only applies with --grant client_credentials, jwt-bearer or enterprise`,
        );
    }
    return input;
  }
  if (options.clientId === undefined) {
    throw new UsageError(
      `--grant ${options.grant} needs --client-id (a client registered with the authorization server)`,
    );
  }
  if (options.clientMetadataUrl !== undefined) {
    throw new UsageError(`--client-metadata-url does not apply with --grant ${options.grant}`);
  }
  if (grant !== 'enterprise') {
    for (const [flag, given] of [
      ['--idp', options.idp],
      ['--idp-client-id', options.idpClientId],
      ['--id-token-file', options.idTokenFile],
    ] as const) {
      if (given !== undefined) throw new UsageError(`${flag} only applies with --grant enterprise`);
    }
  }
  if (grant === 'enterprise') {
    if (options.idp === undefined || options.idpClientId === undefined || options.idTokenFile === undefined) {
      throw new UsageError(
        '--grant enterprise needs --idp URL, --idp-client-id ID and --id-token-file FILE (and --client-id, with --client-secret-env if the client has a secret)',
      );
    }
    if (options.assertionFile !== undefined || options.privateKeyFile !== undefined) {
      throw new UsageError('--assertion-file and --private-key-file do not apply with --grant enterprise');
    }
    input.idp = options.idp;
    input.idpClientId = options.idpClientId;
    input.idToken = secretFile('--id-token-file', options.idTokenFile);
  } else if (grant === 'client_credentials') {
    if (options.assertionFile !== undefined)
      throw new UsageError('--assertion-file only applies with --grant jwt-bearer');
    if ((options.privateKeyFile === undefined) === (options.clientSecretEnv === undefined)) {
      throw new UsageError(
        '--grant client_credentials needs exactly one of --client-secret-env VAR and --private-key-file FILE',
      );
    }
  } else if (options.assertionFile === undefined) {
    throw new UsageError(
      '--grant jwt-bearer needs --assertion-file FILE (the JWT, e.g. a workload identity token)',
    );
  } else {
    input.assertion = secretFile('--assertion-file', options.assertionFile);
  }
  if (options.privateKeyFile !== undefined) {
    if (options.clientSecretEnv !== undefined)
      throw new UsageError('give --private-key-file or --client-secret-env, not both');
    input.privateKey = secretFile('--private-key-file', options.privateKeyFile);
    if (options.signingAlg !== undefined)
      input.signingAlg = options.signingAlg as (typeof SIGNING_ALGS)[number];
  } else if (options.signingAlg !== undefined) {
    throw new UsageError('--signing-alg only applies with --private-key-file');
  }
  return input;
}

function loginInput(ctx: CommandContext, options: LoginOptions): McpLoginInput {
  const input: McpLoginInput = { ...grantInput(options) };
  if (options.clientId !== undefined) {
    if (options.clientId.trim() === '') throw new UsageError('--client-id must not be empty');
    input.clientId = options.clientId;
  }
  if (options.clientAuth !== undefined) {
    if (options.clientAuth !== 'client_secret_basic' && options.clientAuth !== 'client_secret_post') {
      throw new UsageError('--client-auth takes client_secret_basic or client_secret_post');
    }
    if (options.clientSecretEnv === undefined) {
      throw new UsageError('--client-auth only applies with --client-secret-env (how that secret is sent)');
    }
    input.clientAuth = options.clientAuth;
  }
  if (options.clientSecretEnv !== undefined) {
    if (options.clientId === undefined) {
      throw new UsageError('--client-secret-env only applies with --client-id (the secret of that client)');
    }
    input.clientSecret = clientSecretFrom(options.clientSecretEnv, ctx.io.env);
  }
  if (options.scope !== undefined) {
    if (options.scope.trim() === '') throw new UsageError('--scope must name at least one scope');
    input.scope = options.scope.trim().split(/\s+/).join(' ');
  }
  if (options.clientMetadataUrl !== undefined) {
    if (options.clientId !== undefined) {
      throw new UsageError('--client-metadata-url and --client-id name two different clients: give one');
    }
    input.clientMetadataUrl = options.clientMetadataUrl;
  }
  if (options.omitResource) input.omitResource = true;
  if (options.oidcOnly) input.oidcOnly = true;
  if (!options.dynamicRegistration) input.noDynamicRegistration = true;
  return input;
}

type WaitOutcome = { kind: 'done'; login: McpLogin } | { kind: 'interrupted'; login: McpLogin };

/** Polls the login until it leaves `pending`, its deadline passes, or Ctrl-C. */
async function waitForLogin(ctx: CommandContext, start: McpLogin): Promise<WaitOutcome> {
  const client = ctx.client();
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let login = start;
  try {
    while (login.state === 'pending') {
      const deadline = Date.parse(login.expiresAt);
      if (!Number.isNaN(deadline) && Date.now() > deadline + EXPIRY_GRACE_MS) {
        const message = `The sign-in did not finish before ${login.expiresAt}.`;
        return {
          kind: 'done',
          login: {
            ...login,
            state: 'failed',
            error: { code: 'oauth_required', reason: 'callback_timeout', message },
          },
        };
      }
      const began = Date.now();
      login = await client.getMcpLogin(login.id, { waitMs: POLL_WAIT_MS, signal: controller.signal });
      // A daemon that answers at once while pending must not make this a busy loop.
      if (login.state === 'pending' && Date.now() - began < 1000)
        await delay(1000, undefined, { signal: controller.signal });
    }
    return { kind: 'done', login };
  } catch (error) {
    if (controller.signal.aborted) {
      // The daemon stops listening for the redirect too; a late browser finds nothing there.
      const cancelled = await client.cancelMcpLogin(login.id).catch(() => login);
      return { kind: 'interrupted', login: cancelled };
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

/** Exit code of a failed login: the catalog's for its code (oauth_required: 8), else 1. */
function failureExit(code: string): number {
  return isErrorCode(code) ? ERROR_CATALOG[code].exitCode : EXIT.internal;
}

async function login(ctx: CommandContext, name: string, options: LoginOptions): Promise<number> {
  const input = loginInput(ctx, options);
  const client = ctx.client();
  let started: McpLogin;
  try {
    started = await client.startMcpLogin(name, input);
  } catch (error) {
    if (isBriefcaseError(error)) {
      const reason = (error.details as { reason?: unknown } | undefined)?.reason;
      const hint = loginHint(typeof reason === 'string' ? reason : undefined);
      if (hint !== undefined)
        ctx.errorContext.hints = { ...ctx.errorContext.hints, [error.code]: `${reason}: ${hint}` };
    }
    throw error;
  }
  ctx.errorContext.hints = {
    ...ctx.errorContext.hints,
    not_found: `The daemon no longer knows this login (it restarted, or the login ended long ago); run \`${ctx.cli} mcp login ${shellQuote(name)}\` again.`,
  };

  const url = started.authorizationUrl;
  if (started.state === 'pending' && url !== undefined) {
    // The URL on a line of its own, so it can be copied (or read by a program) as is.
    const say = (text: string): void => (ctx.json ? ctx.io.err(text) : ctx.io.out(text));
    say(
      `Sign in to ${inlineSafe(started.server)}: open this URL in a browser on this machine (briefcased waits for it on 127.0.0.1):\n${inlineSafe(url)}\n`,
    );
    if (options.browser && openBrowser(url, ctx.io.env)) ctx.io.err('opening your browser…\n');
    ctx.io.err(
      `waiting for the sign-in (until ${inlineSafe(started.expiresAt)}; Ctrl-C stops waiting, the daemon keeps listening until then)…\n`,
    );
  }

  const outcome = await waitForLogin(ctx, started);
  const final = outcome.login;
  if (outcome.kind === 'interrupted') {
    if (ctx.json) printJson(ctx, { login: final });
    ctx.io.err(
      final.state === 'pending'
        ? `stopped waiting. The daemon still accepts the sign-in until ${inlineSafe(final.expiresAt)}; check with \`${ctx.cli} mcp show ${shellQuote(name)}\`.\n`
        : `login cancelled: the daemon no longer waits for the browser. Run \`${ctx.cli} mcp login ${shellQuote(name)}\` to start again.\n`,
    );
    return EXIT.interrupted;
  }

  if (final.state === 'authorized') {
    // Best effort: the login succeeded whatever happens to this read.
    const server = await client.getMcpServer(name).catch(() => undefined);
    const json = server === undefined ? { login: final } : { login: final, auth: server.auth };
    return reply(ctx, json, () => {
      ctx.io.out(`authorized: signed in to ${inlineSafe(final.server)}\n`);
      if (server !== undefined) ctx.io.out(formatFields(authRows(ctx, server).slice(1)));
      ctx.io.out(
        `briefcased reconnects with the new tokens and lists the tools: \`${ctx.cli} mcp show ${shellQuote(name)}\`\n`,
      );
    });
  }

  const error = final.error ?? { code: 'internal_error', message: 'The login failed without saying why.' };
  const code = isErrorCode(error.code) ? error.code : 'internal_error';
  if (ctx.json) {
    printJson(ctx, { login: final });
  } else {
    const reason = error.reason === undefined ? '' : ` (reason: ${inlineSafe(error.reason)})`;
    ctx.io.err(`error[${code}]: ${terminalSafe(String(error.message))}${reason}\n`);
    const hint = loginHint(error.reason) ?? ERROR_CATALOG[code].hint;
    ctx.io.err(`hint: ${hint}\n`);
  }
  return failureExit(code);
}

/** `briefcase mcp login|logout`: OAuth sign-in to a remote server, and signing out with revocation. */
export function registerMcpAuth(
  mcp: Command,
  act: ActionFactory,
  hints: (ctx: CommandContext) => void,
): void {
  mcp
    .command('login')
    .description(
      'sign in to a remote server with OAuth: open the printed URL, the daemon receives the answer and keeps the tokens',
    )
    .argument('<name>', 'server name')
    .option(
      '--client-id <id>',
      'a client registered with the authorization server (default: registered automatically)',
    )
    .option(
      '--client-secret-env <var>',
      "the environment variable holding that client's secret (never pass a secret on the command line)",
    )
    .option(
      '--client-auth <method>',
      'how the client secret is sent: client_secret_basic or client_secret_post (default: what the authorization server lists, basic first)',
    )
    .option('--scope <scopes>', 'space-separated scopes to ask for (default: what the server names)')
    .option(
      '--client-metadata-url <url>',
      "where you host this client's metadata document (`briefcase mcp client-metadata`), used as the client id when the server supports it",
    )
    .option(
      '--grant <grant>',
      'authorization_code (default, a person in a browser), or with no browser: client_credentials (with --client-secret-env or --private-key-file), jwt-bearer (with --assertion-file), enterprise (SEP-990, with --idp, --idp-client-id, --id-token-file)',
    )
    .option(
      '--private-key-file <file>',
      "PEM private key of the client, for client_credentials with private_key_jwt (RFC 7523); sent to briefcased's secret store, never shown",
    )
    .option(
      '--signing-alg <alg>',
      "the private key's algorithm: ES256, EdDSA or RS256 (default: from the key)",
    )
    .option(
      '--assertion-file <file>',
      "a file holding the JWT for --grant jwt-bearer (e.g. a workload identity token); sent to briefcased's secret store, never shown",
    )
    .option('--idp <url>', 'for --grant enterprise: the issuer URL of your enterprise identity provider')
    .option('--idp-client-id <id>', "for --grant enterprise: this client's id at the identity provider")
    .option(
      '--id-token-file <file>',
      "for --grant enterprise: a file holding your ID token from the identity provider; sent to briefcased's secret store, never shown",
    )
    .option('--no-browser', 'only print the URL; do not open a browser')
    .option('--omit-resource', 'quirk: do not send the RFC 8707 resource parameter (e.g. Microsoft Entra ID)')
    .option('--oidc-only', 'quirk: find the authorization server with OpenID Connect discovery only')
    .option('--no-dynamic-registration', 'quirk: never register a client automatically (use --client-id)')
    .action(
      act<LoginOptions>(async (ctx, [name], options) => {
        hints(ctx);
        ctx.errorContext.hints = {
          ...ctx.errorContext.hints,
          invalid_args: `Nothing was signed in; see \`${ctx.cli} mcp login --help\` and docs/OAUTH.md.`,
        };
        return login(ctx, name ?? '', options);
      }),
    );

  mcp
    .command('client-metadata')
    .description(
      'print the Client ID Metadata Document to host at URL, for `mcp login --client-metadata-url URL`',
    )
    .requiredOption('--url <url>', 'the https URL (with a path) where you will serve the document')
    .addHelpText(
      'after',
      `
Serve the printed JSON at exactly that URL (content type application/json). Authorization servers
that advertise client_id_metadata_document_supported then take the URL as the client id, with no
registration; others fall back to dynamic registration. Example:
  briefcase mcp client-metadata --url https://me.example/briefcase.json > briefcase.json
  briefcase mcp login NAME --client-metadata-url https://me.example/briefcase.json`,
    )
    .action(
      act<{ url: string }>(async (ctx, _positionals, options) => {
        let document: Record<string, unknown>;
        try {
          document = clientMetadataDocument(options.url, {
            clientName: 'Credential Briefcase',
            softwareId: 'credential-briefcase',
          });
        } catch (error) {
          throw new UsageError(`--url: ${error instanceof Error ? error.message : String(error)}`);
        }
        ctx.io.out(`${JSON.stringify(document, null, 2)}\n`);
        return 0;
      }),
    );

  mcp
    .command('logout')
    .description(
      "sign out of a remote server: revoke its tokens at the authorization server, then delete briefcased's copies",
    )
    .argument('<name>', 'server name')
    .option('--local-only', 'delete the tokens without contacting the authorization server')
    .action(
      act<{ localOnly?: boolean }>(async (ctx, [name], options) => {
        hints(ctx);
        const localOnly = options.localOnly === true;
        const { revoked } = await ctx.client().logoutMcpServer(name ?? '', { localOnly });
        return reply(ctx, { server: name, revoked, localOnly }, () => {
          const state = (done: boolean, which: 'refresh' | 'access'): string => {
            if (done) return 'revoked at the authorization server';
            if (localOnly) return 'not revoked (--local-only: the server was not contacted)';
            // RFC 7009 §2.1: revoking a refresh token should also end the access tokens of its grant.
            if (which === 'access' && revoked.refreshToken) {
              return 'not revoked on its own (the server refused); revoking the refresh token normally ends it too';
            }
            return 'not revoked (no such token, no revocation endpoint, or the server refused); it may stay valid there until it expires';
          };
          ctx.io.out(`logged out of ${inlineSafe(name ?? '')}\n`);
          ctx.io.out(
            formatFields([
              ['refresh token', state(revoked.refreshToken, 'refresh')],
              ['access token', state(revoked.accessToken, 'access')],
            ]),
          );
          ctx.io.out(
            `briefcased's copies of the tokens are deleted; sign in again with \`${ctx.cli} mcp login ${shellQuote(name ?? '')}\`\n`,
          );
        });
      }),
    );
}
