import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { MAX_LOGIN_WAIT_MS } from '@briefcase/api';
import { BriefcaseError, isBriefcaseError, type McpAuthView, type McpLoginView } from '@briefcase/core';
import type { KeyStore, Signer } from '@briefcase/keys';
import {
  type AuthorizationServer,
  buildAuthorizationRequest,
  type ClientIdentity,
  type ClientPrivateKey,
  chooseTokenBinding,
  createTokenManager,
  type DpopProver,
  discoverAuthorizationServer,
  discoverLegacyAuthorizationServer,
  discoverProtectedResource,
  exchangeAuthorizationCode,
  fetchWithToken,
  findChallenge,
  isOAuthFailure,
  type MachineGrant,
  OAuthError,
  parseWwwAuthenticate,
  refreshTokenSet,
  requestIdJag,
  requestMachineGrant,
  resolveClientIdentity,
  revokeTokenSet,
  startLoopbackRedirectListener,
  type TokenEndpointContext,
  type TokenManager,
  type TokenSet,
  validateAuthorizationCallback,
} from '@briefcase/oauth';
import type { SecretStore } from '@briefcase/secrets';
import type { McpServerRecord } from '../db/mcp.js';
import { emptyOAuthRecord, type OAuthQuirks, type OAuthRecord, type OAuthStore } from '../db/mcp-oauth.js';
import { adminReceipt } from '../kernel/admin.js';
import type { ReceiptWriter } from '../kernel/receipt-writer.js';

const tokensId = (server: string) => `mcp.${server}.oauth.tokens`;
const clientId = (server: string) => `mcp.${server}.oauth.client`;
/** What a machine grant presents again without a person ({@link GrantCredentials}): a secret. */
const grantId = (server: string) => `mcp.${server}.oauth.grant`;

/** The machine grants the daemon repeats by itself. `enterprise` is SEP-990's two steps. */
export type DaemonMachineGrant = MachineGrant | 'enterprise';

/**
 * What a machine grant needs besides the client (whose secret or key is the client identity's):
 * the JWT bearer grant's assertion; for enterprise-managed authorization, the identity provider
 * (issuer, this client's id there) and the person's ID token to exchange there.
 */
interface GrantCredentials {
  assertion?: string;
  enterprise?: { idp: string; idpClientId: string; idToken: string };
}

/**
 * After a 403 `insufficient_scope`, a new login asks for what was granted plus what the server said
 * was missing (RFC 6750 §3.1), so a plain `briefcase mcp login NAME` is enough.
 */
function stepUpScope(previous: OAuthRecord | undefined): string | undefined {
  const missing = previous?.reason?.startsWith('insufficient_scope: ')
    ? previous.reason.slice('insufficient_scope: '.length)
    : undefined;
  if (!missing) return undefined;
  const scopes = new Set([...(previous?.scope ?? '').split(' '), ...missing.split(' ')].filter(Boolean));
  return [...scopes].join(' ');
}

/** What a 401 challenge tells a client that has no token (RFC 9728 §5.1, RFC 6750 §3). */
interface Challenge {
  resourceMetadataUrl?: string;
  scope?: string;
}

/** The `resource_metadata` and `scope` of a `WWW-Authenticate` header's Bearer (or DPoP) challenge. */
function challengeOf(header: string | null): Challenge {
  const parsed = parseWwwAuthenticate(header);
  const challenge = findChallenge(parsed, 'bearer') ?? findChallenge(parsed, 'dpop');
  return {
    ...(challenge?.params.resource_metadata
      ? { resourceMetadataUrl: challenge.params.resource_metadata }
      : {}),
    ...(challenge?.params.scope ? { scope: challenge.params.scope } : {}),
  };
}

/** The authorization view of a server nobody signed in to: it needs a sign-in when it answered 401. */
export function noAuthView(needsLogin: boolean): AuthView {
  return {
    state: needsLogin ? 'oauth_required' : 'none',
    reason: needsLogin ? 'the server answered 401' : null,
    issuer: null,
    scope: null,
    tokenType: null,
    bearerReason: null,
    expiresAt: null,
    clientSource: null,
    quirks: { omitResource: false, oidcOnly: false, noDynamicRegistration: false },
  };
}

/** The machine grant a record signs in with, if any. */
function machineGrantOf(record: OAuthRecord): DaemonMachineGrant | undefined {
  return record.grant === 'authorization_code' ? undefined : record.grant;
}

/** How long a login waits for the browser to come back. */
export const LOGIN_TIMEOUT_MS = 5 * 60_000;

/** What `briefcase mcp login` sends. */
export interface LoginInput {
  /**
   * `authorization_code` (default): a person signs in in a browser. A machine grant
   * (`client_credentials`, OAuth 2.1 §4.2; `jwt_bearer`, RFC 7523 §2.1) needs no person: the login
   * finishes before startLogin returns, and the daemon repeats the grant when tokens expire.
   */
  grant?: 'authorization_code' | DaemonMachineGrant;
  /** A client registered out of band. */
  clientId?: string;
  /** Its secret (the CLI reads it from an environment variable, never from the command line). */
  clientSecret?: string;
  /** Forces how a client with a secret authenticates (default: from the server's metadata). */
  clientAuth?: 'client_secret_basic' | 'client_secret_post';
  /** Its private key, for `private_key_jwt` (RFC 7523 §2.2; the CLI reads it from a file). */
  privateKey?: ClientPrivateKey;
  /** The JWT the `jwt_bearer` grant presents (the CLI reads it from a file). */
  assertion?: string;
  /** `enterprise`: the identity provider's issuer URL (OpenID Connect / RFC 8414 discovery). */
  idp?: string;
  /** `enterprise`: this client's id at the identity provider (a public client there). */
  idpClientId?: string;
  /** `enterprise`: the person's ID token from the identity provider (the CLI reads it from a file). */
  idToken?: string;
  /** Scopes to ask for; default: what the server's challenge or metadata names. */
  scope?: string;
  /**
   * The https URL of this client's Client ID Metadata Document, which the person hosts: the client
   * id wherever the authorization server advertises `client_id_metadata_document_supported`.
   */
  clientMetadataUrl?: string;
  quirks?: Partial<OAuthQuirks>;
}

/** A login in progress, as the CLI sees it. */
export type LoginView = McpLoginView;
/** A server's authorization, as `mcp show` shows it. Never a token. */
export type AuthView = McpAuthView;

/** What receipts of a call through OAuth record: the method and scopes, never a token. */
export interface ReceiptAuth {
  method: 'oauth_dpop' | 'oauth_bearer';
  scope: string | null;
}

export interface McpAuthDeps {
  store: OAuthStore;
  secrets: SecretStore;
  keys: KeyStore;
  writer: ReceiptWriter;
  clock: () => Date;
  log: { warn(fields: object, msg: string): void };
  /** Called after a login or logout, so the server's session reconnects with (or without) tokens. */
  onChanged: (server: string) => Promise<void>;
}

interface Live {
  as: AuthorizationServer;
  client: ClientIdentity;
  dpop?: DpopProver;
  manager: TokenManager;
}

/**
 * OAuth for remote MCP servers (MCP authorization 2025-11-25): discovery from the server's 401,
 * login with PKCE through a loopback redirect that this daemon listens on, DPoP-bound tokens signed
 * by the `dpop` key of the key store, refresh, and logout with revocation. Tokens and client secrets
 * live in the secret store; SQLite keeps the metadata.
 */
export function createMcpAuth(deps: McpAuthDeps) {
  const { store, secrets, keys, clock } = deps;
  const live = new Map<string, Live>();
  const logins = new Map<string, LoginView>();
  /** Closes the redirect listener of a pending login (cancel). */
  const cancels = new Map<string, () => Promise<void>>();
  const loginEvents = new EventEmitter();
  loginEvents.setMaxListeners(0);

  const now = () => clock().getTime();

  async function loadTokens(server: string): Promise<TokenSet | undefined> {
    const stored = await secrets.get(tokensId(server));
    if (!stored) return undefined;
    try {
      return JSON.parse(stored.reveal()) as TokenSet;
    } catch {
      return undefined;
    }
  }

  async function loadClient(server: string): Promise<ClientIdentity | undefined> {
    const stored = await secrets.get(clientId(server));
    if (!stored) return undefined;
    try {
      return JSON.parse(stored.reveal()) as ClientIdentity;
    } catch {
      return undefined;
    }
  }

  function update(server: string, patch: Partial<OAuthRecord>): OAuthRecord {
    const current = store.get(server) ?? emptyOAuthRecord(server, now());
    const next = { ...current, ...patch, updatedAtMs: now() };
    store.save(next);
    return next;
  }

  /** Marks a server as needing a person; `dropTokens` only when the grant is gone (invalid_grant). */
  async function requireLogin(server: string, reason: string, dropTokens: boolean): Promise<void> {
    live.delete(server);
    if (dropTokens) await secrets.delete(tokensId(server));
    update(server, { state: 'oauth_required', reason });
  }

  function endpointContext(
    record: OAuthRecord,
    as: AuthorizationServer,
    client: ClientIdentity,
    dpop?: DpopProver,
  ): TokenEndpointContext {
    return {
      as,
      client,
      ...(dpop ? { dpop } : {}),
      ...(record.resource ? { resource: record.resource } : {}),
      omitResource: record.quirks.omitResource,
      now,
    };
  }

  /**
   * The authorization server a login found, found again: by its metadata, or, for a 2025-03-26
   * server without any (its issuer is its own origin), at the same default endpoints.
   */
  async function rediscover(issuer: string, record: OAuthRecord): Promise<AuthorizationServer> {
    try {
      return await discoverAuthorizationServer(issuer, { mode: record.quirks.oidcOnly ? 'oidc' : 'auto' });
    } catch (error) {
      const legacy = record.resource !== null && new URL(record.resource).origin === issuer;
      if (!legacy || !isOAuthFailure(error, 'metadata_not_found')) throw error;
      return (await discoverLegacyAuthorizationServer(record.resource as string)).as;
    }
  }

  /**
   * Tokens from a machine grant: `client_credentials` or `jwt_bearer` at the server's authorization
   * server, or, for `enterprise` (SEP-990), the RFC 8693 token exchange of the ID token at the
   * identity provider for an ID-JAG, then the JWT bearer grant with it.
   */
  async function machineTokens(
    grant: DaemonMachineGrant,
    ctx: TokenEndpointContext,
    scope: string | undefined,
    credentials: GrantCredentials,
  ): Promise<TokenSet> {
    let assertion = credentials.assertion;
    if (grant === 'enterprise') {
      const enterprise = credentials.enterprise;
      if (!enterprise || !ctx.resource) {
        throw new OAuthError(
          'oauth_required',
          'login_required',
          'The stored ID token is gone; sign in again.',
        );
      }
      const idp = await discoverAuthorizationServer(enterprise.idp);
      assertion = await requestIdJag({
        idp,
        idpClient: {
          clientId: enterprise.idpClientId,
          tokenEndpointAuthMethod: 'none',
          source: 'preregistered',
        },
        idToken: enterprise.idToken,
        audience: ctx.as.issuer,
        resource: ctx.resource,
        ...(scope ? { scope } : {}),
      });
    }
    if (grant !== 'client_credentials' && !assertion) {
      throw new OAuthError(
        'oauth_required',
        'login_required',
        'The stored assertion is gone; sign in again.',
      );
    }
    return requestMachineGrant(ctx, {
      grant: grant === 'client_credentials' ? 'client_credentials' : 'jwt_bearer',
      ...(scope ? { scope } : {}),
      ...(assertion ? { assertion } : {}),
    });
  }

  /**
   * A machine grant, repeated with the stored credential when its tokens expire (they usually come
   * without a refresh token, OAuth 2.1 §4.2.3): no person is asked. The JWT bearer grant presents
   * the stored assertion again, and `enterprise` exchanges the stored ID token again; once a server
   * refuses those (expired), a person must give a fresh one.
   */
  async function reacquire(
    record: OAuthRecord,
    ctx: TokenEndpointContext,
    grant: DaemonMachineGrant,
  ): Promise<TokenSet> {
    const stored = (await secrets.get(grantId(record.server)))?.reveal();
    let credentials: GrantCredentials = {};
    try {
      credentials = stored ? (JSON.parse(stored) as GrantCredentials) : {};
    } catch {
      credentials = {};
    }
    return machineTokens(grant, ctx, record.scope ?? undefined, credentials);
  }

  /** The live OAuth state of an authorized server: discovered once per daemon run. */
  async function liveFor(record: OAuthRecord): Promise<Live> {
    const known = live.get(record.server);
    if (known) return known;
    if (!record.issuer) throw new BriefcaseError('oauth_required', 'No authorization server is known.');
    const as = await rediscover(record.issuer, record);
    const client = await loadClient(record.server);
    if (!client) throw new BriefcaseError('oauth_required', 'The client registration is gone.');
    let dpop: DpopProver | undefined;
    if (record.tokenType === 'DPoP' && record.keyId) {
      const binding = chooseTokenBinding(as, await keys.signer(record.keyId));
      if (binding.tokenType === 'DPoP') dpop = binding.dpop;
    }
    const ctx = endpointContext(record, as, client, dpop);
    const machine = machineGrantOf(record);
    const manager = createTokenManager({
      load: () => loadTokens(record.server),
      save: async (tokens) => {
        await secrets.put(tokensId(record.server), JSON.stringify(tokens));
        update(record.server, {
          expiresAtMs: tokens.expiresAt ?? null,
          scope: tokens.scope ?? record.scope,
        });
      },
      refresh: (current) => refreshTokenSet(ctx, current),
      ...(machine ? { reacquire: () => reacquire(record, ctx, machine) } : {}),
      now,
    });
    const entry: Live = { as, client, ...(dpop ? { dpop } : {}), manager };
    live.set(record.server, entry);
    return entry;
  }

  /**
   * The fetch the upstream pool uses for `server`: with tokens when the server is authorized (and
   * the token's own origin only), plain otherwise, so the server's 401 reports that a person must
   * sign in. A failure that needs a person marks the server `oauth_required`.
   */
  function fetchFor(server: string): typeof fetch {
    return async (input, init) => {
      const record = store.get(server);
      if (record?.state !== 'authorized' || !record.resource) {
        const response = await fetch(input, init);
        if (response.status === 401) rememberChallenge(server, response.headers.get('www-authenticate'));
        return response;
      }
      let entry: Live;
      try {
        entry = await liveFor(record);
      } catch (error) {
        await requireLogin(server, 'discovery_failed', false);
        throw error;
      }
      try {
        return await fetchWithToken(input instanceof Request ? input.url : input, init ?? {}, {
          tokens: entry.manager,
          ...(entry.dpop ? { dpop: entry.dpop } : {}),
          resource: record.resource,
        });
      } catch (error) {
        if (isOAuthFailure(error, 'login_required')) await requireLogin(server, 'login_required', true);
        else if (isOAuthFailure(error, 'invalid_client')) {
          // A dynamically registered client the server forgot: register again at the next login.
          if (entry.client.source === 'dynamic_registration') await secrets.delete(clientId(server));
          await requireLogin(server, 'invalid_client', true);
        } else if (isOAuthFailure(error, 'insufficient_scope')) {
          const scope = (error as { details?: { scope?: string } }).details?.scope;
          await requireLogin(server, scope ? `insufficient_scope: ${scope}` : 'insufficient_scope', false);
        } else if (isOAuthFailure(error, 'token_rejected'))
          await requireLogin(server, 'token_rejected', false);
        throw error;
      }
    };
  }

  /**
   * The last 401 challenge each server sent on a real request without a token. A server may let
   * `initialize` through and challenge only `tools/list`, so the login's own probe can see none;
   * this one then names the metadata and scope (MCP authorization spec, "Scope Selection Strategy").
   */
  const challenges = new Map<string, Challenge>();

  function rememberChallenge(server: string, header: string | null): void {
    const challenge = challengeOf(header);
    if (challenge.resourceMetadataUrl !== undefined || challenge.scope !== undefined) {
      challenges.set(server, challenge);
    }
  }

  /**
   * The authorization server of `resource` and the RFC 8707 resource indicator to ask it for: from
   * the protected resource metadata (RFC 9728) when the server publishes it, else as a 2025-03-26
   * server keeps it (at its origin: RFC 8414 metadata, or the default endpoints).
   */
  async function findAuthorizationServer(
    resource: string,
    challenge: Challenge,
    quirks: OAuthQuirks,
  ): Promise<{ as: AuthorizationServer; indicator: string; scopesSupported?: string[] }> {
    let discovered: Awaited<ReturnType<typeof discoverProtectedResource>>;
    try {
      discovered = await discoverProtectedResource(resource, {
        ...(challenge.resourceMetadataUrl ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}),
      });
    } catch (error) {
      if (!isOAuthFailure(error, 'metadata_not_found')) throw error;
      const legacy = await discoverLegacyAuthorizationServer(resource);
      return { as: legacy.as, indicator: resource };
    }
    // The resource indicator is what the metadata names: the server URL itself, or an ancestor on
    // its origin when the metadata came from the root well-known URL (RFC 9728 §3.3).
    const as = await discoverAuthorizationServer(discovered.authorizationServer, {
      mode: quirks.oidcOnly ? 'oidc' : 'auto',
    });
    const scopesSupported = discovered.metadata.scopes_supported;
    return { as, indicator: discovered.metadata.resource, ...(scopesSupported ? { scopesSupported } : {}) };
  }

  /** Probes the server without a token: its 401 challenge names the metadata and scope (RFC 9728 §5.1). */
  async function probe(url: string): Promise<Challenge> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-11-25',
            capabilities: {},
            clientInfo: { name: 'briefcased', version: '0' },
          },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status !== 401) return {};
      return challengeOf(response.headers.get('www-authenticate'));
    } catch {
      return {};
    }
  }

  function finishLogin(id: string, patch: Partial<LoginView>): void {
    const login = logins.get(id);
    if (login?.state !== 'pending') return;
    const next = { ...login, ...patch };
    delete next.authorizationUrl;
    logins.set(id, next);
    loginEvents.emit(id, next);
    setTimeout(() => logins.delete(id), 10 * 60_000).unref();
  }

  /**
   * DPoP when the authorization server advertises it (RFC 9449 §5.1). One DPoP key serves every
   * server; ES256 is the algorithm authorization servers support most.
   */
  async function bindingFor(as: AuthorizationServer): Promise<{
    signer: Signer | undefined;
    binding: ReturnType<typeof chooseTokenBinding>;
    dpop: DpopProver | undefined;
  }> {
    const advertised = as.dpop_signing_alg_values_supported ?? [];
    const signer: Signer | undefined = advertised.length > 0 ? await keys.ensure('dpop', 'ES256') : undefined;
    const binding: ReturnType<typeof chooseTokenBinding> =
      advertised.length === 0
        ? { tokenType: 'Bearer', reason: 'dpop_not_advertised' }
        : chooseTokenBinding(as, signer);
    return { signer, binding, dpop: binding.tokenType === 'DPoP' ? binding.dpop : undefined };
  }

  /** Receipts a sign-in that failed (at the authorization server or the token endpoint). */
  async function receiptFailedLogin(server: string, e: BriefcaseError, reason: string | undefined) {
    await deps.writer
      .record(
        'admin_change',
        adminReceipt(
          { action: 'mcp.login', by: 'local-admin', target: { name: server }, input: null },
          { outcome: 'failed', errorCode: e.code, ...(reason ? { reason } : {}) },
        ),
      )
      .catch((err: unknown) => deps.log.warn({ err }, 'a failed sign-in could not be receipted'));
  }

  /**
   * Signs in without a person, with a machine grant: `client_credentials` (OAuth 2.1 §4.2; the
   * client authenticates with its secret, `client_secret_basic`/`_post`, or its private key,
   * `private_key_jwt`, RFC 7523 §2.2) or the JWT bearer grant (RFC 7523 §2.1) with the assertion a
   * person gave. No browser and no redirect listener: the token request is made here, and the
   * login returned has already finished. The credential stays in the secret store, so the daemon
   * repeats the grant when the tokens expire (see {@link reacquire}).
   */
  async function machineLogin(
    server: string,
    input: LoginInput,
    grant: DaemonMachineGrant,
    found: { as: AuthorizationServer; indicator: string; quirks: OAuthQuirks; scope?: string },
  ): Promise<LoginView> {
    const { as, indicator, quirks, scope } = found;
    if (input.clientId === undefined) {
      throw new BriefcaseError(
        'invalid_args',
        `The ${grant} grant needs a pre-registered client (clientId).`,
      );
    }
    if (grant === 'client_credentials' && !input.clientSecret && !input.privateKey) {
      throw new BriefcaseError(
        'invalid_args',
        'The client_credentials grant needs the client secret or private key of the client.',
      );
    }
    if (grant === 'jwt_bearer' && !input.assertion) {
      throw new BriefcaseError('invalid_args', 'The jwt_bearer grant needs an assertion.');
    }
    if (grant === 'enterprise' && (!input.idp || !input.idpClientId || !input.idToken)) {
      throw new BriefcaseError(
        'invalid_args',
        'Enterprise-managed authorization needs the identity provider (idp), its client id and an ID token.',
      );
    }
    const credentials: GrantCredentials = {
      ...(input.assertion !== undefined ? { assertion: input.assertion } : {}),
      ...(grant === 'enterprise'
        ? {
            enterprise: {
              idp: input.idp as string,
              idpClientId: input.idpClientId as string,
              idToken: input.idToken as string,
            },
          }
        : {}),
    };
    const client = await resolveClientIdentity(as, {
      preregistered: {
        clientId: input.clientId,
        ...(input.clientSecret !== undefined ? { clientSecret: input.clientSecret } : {}),
        ...(input.privateKey !== undefined ? { privateKey: input.privateKey } : {}),
        ...(input.clientAuth !== undefined && input.clientSecret !== undefined
          ? { tokenEndpointAuthMethod: input.clientAuth }
          : {}),
      },
    });
    const { signer, binding, dpop } = await bindingFor(as);
    const record: OAuthRecord = {
      ...emptyOAuthRecord(server, now(), quirks),
      issuer: as.issuer,
      resource: indicator,
      clientId: client.clientId,
      clientSource: client.source,
      tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
      scope: scope ?? null,
      tokenType: binding.tokenType,
      bearerReason: binding.tokenType === 'Bearer' ? binding.reason : null,
      keyId: dpop && signer ? signer.keyId : null,
      grant,
    };
    const id = randomUUID();
    const expiresAt = new Date(now() + LOGIN_TIMEOUT_MS).toISOString();
    const settle = (view: LoginView): LoginView => {
      logins.set(id, view);
      setTimeout(() => logins.delete(id), 10 * 60_000).unref();
      return view;
    };
    try {
      const tokens = await machineTokens(
        grant,
        endpointContext(record, as, client, dpop),
        scope,
        credentials,
      );
      await secrets.put(clientId(server), JSON.stringify(client));
      if (grant === 'client_credentials') await secrets.delete(grantId(server));
      else await secrets.put(grantId(server), JSON.stringify(credentials));
      await secrets.put(tokensId(server), JSON.stringify(tokens));
      live.delete(server);
      await deps.writer.commit((tx) => {
        store.save({
          ...record,
          state: 'authorized',
          reason: null,
          scope: tokens.scope ?? record.scope,
          tokenType: tokens.tokenType,
          expiresAtMs: tokens.expiresAt ?? null,
          updatedAtMs: now(),
        });
        tx.append('mcp_login', {
          server,
          issuer: as.issuer,
          method: tokens.tokenType === 'DPoP' ? 'oauth_dpop' : 'oauth_bearer',
          grant,
          clientAuth: client.tokenEndpointAuthMethod,
          scope: tokens.scope ?? record.scope,
          clientSource: client.source,
          by: 'local-admin',
        });
      });
      await deps.onChanged(server);
      return settle({ id, server, state: 'authorized', expiresAt });
    } catch (error) {
      const e = isBriefcaseError(error)
        ? error
        : new BriefcaseError('internal_error', 'The login failed unexpectedly; see the daemon log.');
      const reason = (e.details as { reason?: string } | undefined)?.reason;
      await receiptFailedLogin(server, e, reason);
      return settle({
        id,
        server,
        state: 'failed',
        expiresAt,
        error: { code: e.code, ...(reason ? { reason } : {}), message: e.message },
      });
    }
  }

  /**
   * Starts a login: discovers the authorization server, identifies the client, and returns the URL
   * a person opens. The daemon waits on a loopback redirect for the browser and finishes by itself.
   */
  async function startLogin(server: McpServerRecord, input: LoginInput): Promise<LoginView> {
    if (server.transport === 'stdio' || !server.url) {
      throw new BriefcaseError(
        'invalid_args',
        `Server ${server.name} runs locally over stdio; it has no OAuth login.`,
      );
    }
    const resource = server.url;
    const previous = store.get(server.name);
    const quirks: OAuthQuirks = {
      ...(previous?.quirks ?? emptyOAuthRecord(server.name, 0).quirks),
      ...input.quirks,
    };
    const probed = await probe(resource);
    const challenge =
      probed.resourceMetadataUrl || probed.scope ? probed : (challenges.get(server.name) ?? {});
    const { as, indicator, scopesSupported } = await findAuthorizationServer(resource, challenge, quirks);
    if (input.grant !== undefined && input.grant !== 'authorization_code') {
      const scope = input.scope ?? challenge.scope ?? scopesSupported?.join(' ');
      return machineLogin(server.name, input, input.grant, {
        as,
        indicator,
        quirks,
        ...(scope ? { scope } : {}),
      });
    }
    const listener = await startLoopbackRedirectListener({ timeoutMs: LOGIN_TIMEOUT_MS });
    try {
      const stored =
        input.clientId === undefined && input.clientMetadataUrl === undefined
          ? await loadClient(server.name)
          : undefined;
      // A client belongs to the authorization server it was registered with (SEP-2352): when the
      // server now names another one, a registered client is never presented there (a secret
      // would go to a server that never issued it); only a metadata document URL travels.
      const movedFrom = previous?.issuer && previous.issuer !== as.issuer ? previous.issuer : undefined;
      if (stored?.source === 'preregistered' && movedFrom !== undefined) {
        throw new BriefcaseError(
          'oauth_required',
          `Server ${server.name} now names another authorization server (${as.issuer}, was ${movedFrom}). The client you registered at the old one is not sent there: register a client at ${as.issuer} and sign in with --client-id.`,
          { details: { reason: 'authorization_server_changed' } },
        );
      }
      const reuse = stored && (stored.source === 'metadata_document' || movedFrom === undefined);
      const client: ClientIdentity = reuse
        ? stored
        : await resolveClientIdentity(as, {
            ...(input.clientId !== undefined
              ? {
                  preregistered: {
                    clientId: input.clientId,
                    ...(input.clientSecret !== undefined ? { clientSecret: input.clientSecret } : {}),
                    ...(input.clientAuth !== undefined && input.clientSecret !== undefined
                      ? { tokenEndpointAuthMethod: input.clientAuth }
                      : {}),
                  },
                }
              : {}),
            ...(input.clientMetadataUrl !== undefined
              ? { clientMetadataDocumentUrl: input.clientMetadataUrl }
              : {}),
            registration: {
              redirectUris: [listener.redirectUri],
              clientName: 'Credential Briefcase',
              softwareId: 'credential-briefcase',
            },
            noDynamicRegistration: quirks.noDynamicRegistration,
          });
      await secrets.put(clientId(server.name), JSON.stringify(client));

      const { signer, binding, dpop } = await bindingFor(as);
      const scope = input.scope ?? stepUpScope(previous) ?? challenge.scope ?? scopesSupported?.join(' ');
      const request = await buildAuthorizationRequest(as, client, {
        redirectUri: listener.redirectUri,
        ...(scope ? { scope } : {}),
        resource: indicator,
        omitResource: quirks.omitResource,
        ...(dpop ? { dpop } : {}),
      });

      const id = randomUUID();
      const view: LoginView = {
        id,
        server: server.name,
        state: 'pending',
        authorizationUrl: request.url.href,
        expiresAt: new Date(now() + LOGIN_TIMEOUT_MS).toISOString(),
      };
      logins.set(id, view);
      cancels.set(id, async () => {
        finishLogin(id, {
          state: 'failed',
          error: { code: 'oauth_required', reason: 'cancelled', message: 'The login was cancelled.' },
        });
        await listener.close();
      });
      const record: OAuthRecord = {
        ...emptyOAuthRecord(server.name, now(), quirks),
        issuer: as.issuer,
        resource: indicator,
        clientId: client.clientId,
        clientSource: client.source,
        tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
        scope: scope ?? null,
        tokenType: binding.tokenType,
        bearerReason: binding.tokenType === 'Bearer' ? binding.reason : null,
        keyId: dpop && signer ? signer.keyId : null,
      };
      void (async () => {
        try {
          const callback = await listener.waitForCallback(request.state);
          const params = validateAuthorizationCallback(as, client, callback, request.state);
          const ctx = endpointContext(record, as, client, dpop);
          const tokens = await exchangeAuthorizationCode(ctx, params, {
            redirectUri: request.redirectUri,
            codeVerifier: request.codeVerifier,
          });
          await secrets.put(tokensId(server.name), JSON.stringify(tokens));
          await secrets.delete(grantId(server.name)); // a person's grant replaces a machine grant
          live.delete(server.name);
          await deps.writer.commit((tx) => {
            store.save({
              ...record,
              state: 'authorized',
              reason: null,
              scope: tokens.scope ?? record.scope,
              tokenType: tokens.tokenType,
              expiresAtMs: tokens.expiresAt ?? null,
              updatedAtMs: now(),
            });
            tx.append('mcp_login', {
              server: server.name,
              issuer: as.issuer,
              method: tokens.tokenType === 'DPoP' ? 'oauth_dpop' : 'oauth_bearer',
              grant: 'authorization_code',
              scope: tokens.scope ?? record.scope,
              clientSource: client.source,
              by: 'local-admin',
            });
          });
          // Reconnect and re-read the catalog first: a person told "signed in" lists tools next.
          await deps.onChanged(server.name);
          finishLogin(id, { state: 'authorized' });
        } catch (error) {
          const e = isBriefcaseError(error)
            ? error
            : new BriefcaseError('internal_error', 'The login failed unexpectedly; see the daemon log.');
          const reason = (e.details as { reason?: string } | undefined)?.reason;
          if (reason === 'invalid_client' && client.source === 'dynamic_registration') {
            await secrets.delete(clientId(server.name)); // the next login registers again
          }
          // A sign-in that failed at the authorization server or the token exchange is an attempt too.
          await receiptFailedLogin(server.name, e, reason);
          finishLogin(id, {
            state: 'failed',
            error: { code: e.code, ...(reason ? { reason } : {}), message: e.message },
          });
        } finally {
          cancels.delete(id);
          await listener.close();
        }
      })();
      return view;
    } catch (error) {
      await listener.close();
      throw error;
    }
  }

  /** A login's state; with `waitMs`, waits up to that long for it to leave `pending`. */
  async function loginStatus(id: string, waitMs: number, signal?: AbortSignal): Promise<LoginView> {
    const login = logins.get(id);
    if (!login)
      throw new BriefcaseError('not_found', 'No such login (it finished long ago, or the daemon restarted).');
    if (login.state !== 'pending' || waitMs <= 0) return login;
    return new Promise<LoginView>((resolve) => {
      const done = (view?: LoginView) => {
        clearTimeout(timer);
        loginEvents.off(id, done);
        signal?.removeEventListener('abort', onAbort);
        resolve(view ?? (logins.get(id) as LoginView));
      };
      const onAbort = () => done();
      const timer = setTimeout(() => done(), Math.min(waitMs, MAX_LOGIN_WAIT_MS));
      loginEvents.on(id, done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Cancels a pending login: its redirect listener closes, so a late browser redirect reaches
   * nothing. A login that already finished is left as it is.
   */
  async function cancelLogin(id: string): Promise<LoginView> {
    const login = logins.get(id);
    if (!login)
      throw new BriefcaseError('not_found', 'No such login (it finished long ago, or the daemon restarted).');
    await cancels.get(id)?.();
    return logins.get(id) as LoginView;
  }

  /**
   * Logs out: revokes the refresh and access tokens at the server when it has a revocation
   * endpoint (RFC 7009), then forgets them whatever the answer. `localOnly` forgets without calling.
   */
  async function logout(server: McpServerRecord, options: { localOnly?: boolean } = {}) {
    const record = store.get(server.name);
    const tokens = await loadTokens(server.name);
    let revoked = { refreshToken: false, accessToken: false };
    if (!options.localOnly && record && tokens) {
      try {
        const entry = await liveFor(record);
        revoked = await revokeTokenSet(endpointContext(record, entry.as, entry.client, entry.dpop), tokens);
      } catch (error) {
        deps.log.warn(
          { server: server.name, code: isBriefcaseError(error) ? error.code : 'unknown' },
          'revocation failed; forgetting the tokens anyway',
        );
      }
    }
    await secrets.delete(tokensId(server.name));
    live.delete(server.name);
    await deps.writer.commit((tx) => {
      if (record) update(server.name, { state: 'oauth_required', reason: 'logged_out', expiresAtMs: null });
      tx.append('mcp_logout', {
        server: server.name,
        revoked,
        localOnly: options.localOnly === true,
        by: 'local-admin',
      });
    });
    await deps.onChanged(server.name);
    return { revoked };
  }

  /**
   * Remembers that a server nobody signed in to answered 401, so `mcp show` says so after a
   * restart too. A server with a grant is left alone: its own failures already updated it.
   */
  function noteUnauthorized(server: string): void {
    if (store.get(server)) return;
    store.save({ ...emptyOAuthRecord(server, now()), reason: 'the server answered 401' });
  }

  /**
   * The server answered without a token: a "needs a sign-in" note from an earlier 401 is stale. A
   * server somebody signed in to keeps its record (its grant is still what it uses).
   */
  function noteReachable(server: string): void {
    const record = store.get(server);
    if (record && record.issuer === null && record.state === 'oauth_required') store.remove(server);
  }

  /** Forgets everything about a removed server. */
  async function forget(server: string): Promise<void> {
    live.delete(server);
    await secrets.delete(tokensId(server));
    await secrets.delete(clientId(server));
    await secrets.delete(grantId(server));
  }

  function view(server: string, needsLogin: boolean): AuthView {
    const record = store.get(server);
    if (!record) return noAuthView(needsLogin);
    return {
      state: record.state,
      reason: record.reason,
      issuer: record.issuer,
      scope: record.scope,
      tokenType: record.tokenType,
      bearerReason: record.bearerReason,
      expiresAt: record.expiresAtMs === null ? null : new Date(record.expiresAtMs).toISOString(),
      clientSource: record.clientSource,
      grant: record.grant,
      quirks: { ...record.quirks },
    };
  }

  /** What a receipt of a call to `server` records about its authorization. */
  function receiptAuth(server: string): ReceiptAuth | undefined {
    const record = store.get(server);
    if (record?.state !== 'authorized') return undefined;
    return { method: record.tokenType === 'DPoP' ? 'oauth_dpop' : 'oauth_bearer', scope: record.scope };
  }

  return {
    fetchFor,
    startLogin,
    loginStatus,
    cancelLogin,
    logout,
    forget,
    noteUnauthorized,
    noteReachable,
    view,
    receiptAuth,
  };
}

/** The OAuth manager of a daemon. */
export type McpAuth = ReturnType<typeof createMcpAuth>;
