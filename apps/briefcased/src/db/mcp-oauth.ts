import type { Db } from './open.js';

/** Server quirks a person can set per server (see docs/OAUTH.md). */
export interface OAuthQuirks {
  /** Do not send the RFC 8707 `resource` parameter (servers that reject it). */
  omitResource: boolean;
  /** Discover the authorization server with OpenID Connect Discovery only. */
  oidcOnly: boolean;
  /** Never try Dynamic Client Registration. */
  noDynamicRegistration: boolean;
}

/** Where a server's authorization stands. */
export type AuthState = 'authorized' | 'oauth_required';

/**
 * What SQLite keeps about a server's OAuth grant: metadata only. Token values and client secrets
 * live in the secret store, never here.
 */
export interface OAuthRecord {
  server: string;
  state: AuthState;
  /** Why a person must sign in (when `state` is `oauth_required`): a stable reason and a message. */
  reason: string | null;
  issuer: string | null;
  resource: string | null;
  clientId: string | null;
  clientSource: string | null;
  tokenEndpointAuthMethod: string | null;
  scope: string | null;
  tokenType: 'DPoP' | 'Bearer' | null;
  /** Why tokens are bearer, when they are. */
  bearerReason: string | null;
  /** The DPoP key the tokens are bound to. */
  keyId: string | null;
  expiresAtMs: number | null;
  quirks: OAuthQuirks;
  /**
   * How tokens are obtained: `authorization_code` needs a person for a new grant; the machine grants
   * (`client_credentials`, `jwt_bearer`) are repeated by the daemon with the stored credential.
   */
  grant: GrantType;
  updatedAtMs: number;
}

/**
 * The grant a server's tokens come from (OAuth 2.1 §4.1, §4.2; RFC 7523 §2.1; `enterprise`: RFC 8693
 * token exchange at the identity provider, then RFC 7523 §2.1, SEP-990).
 */
export type GrantType = 'authorization_code' | 'client_credentials' | 'jwt_bearer' | 'enterprise';

interface Row {
  server: string;
  state: AuthState;
  reason: string | null;
  issuer: string | null;
  resource: string | null;
  client_id: string | null;
  client_source: string | null;
  token_endpoint_auth_method: string | null;
  scope: string | null;
  token_type: 'DPoP' | 'Bearer' | null;
  bearer_reason: string | null;
  key_id: string | null;
  expires_at_ms: number | null;
  quirks_json: string;
  grant_type: GrantType | null;
  updated_at_ms: number;
}

const NO_QUIRKS: OAuthQuirks = { omitResource: false, oidcOnly: false, noDynamicRegistration: false };

function quirksOf(json: string): OAuthQuirks {
  try {
    const parsed = JSON.parse(json) as Partial<OAuthQuirks>;
    return {
      omitResource: parsed.omitResource === true,
      oidcOnly: parsed.oidcOnly === true,
      noDynamicRegistration: parsed.noDynamicRegistration === true,
    };
  } catch {
    return { ...NO_QUIRKS };
  }
}

const toRecord = (row: Row): OAuthRecord => ({
  server: row.server,
  state: row.state,
  reason: row.reason,
  issuer: row.issuer,
  resource: row.resource,
  clientId: row.client_id,
  clientSource: row.client_source,
  tokenEndpointAuthMethod: row.token_endpoint_auth_method,
  scope: row.scope,
  tokenType: row.token_type,
  bearerReason: row.bearer_reason,
  keyId: row.key_id,
  expiresAtMs: row.expires_at_ms,
  quirks: quirksOf(row.quirks_json),
  grant: row.grant_type ?? 'authorization_code',
  updatedAtMs: row.updated_at_ms,
});

/** The OAuth metadata table of remote MCP servers. */
export function createOAuthStore(db: Db) {
  const byServer = db.prepare<[string], Row>('SELECT * FROM mcp_oauth WHERE server = ?');
  const upsert = db.prepare(
    `INSERT INTO mcp_oauth (server, state, reason, issuer, resource, client_id, client_source,
       token_endpoint_auth_method, scope, token_type, bearer_reason, key_id, expires_at_ms, quirks_json, grant_type, updated_at_ms)
     VALUES (@server, @state, @reason, @issuer, @resource, @client_id, @client_source,
       @token_endpoint_auth_method, @scope, @token_type, @bearer_reason, @key_id, @expires_at_ms, @quirks_json,
       @grant_type, @updated_at_ms)
     ON CONFLICT (server) DO UPDATE SET state = @state, reason = @reason, issuer = @issuer, resource = @resource,
       client_id = @client_id, client_source = @client_source, token_endpoint_auth_method = @token_endpoint_auth_method,
       scope = @scope, token_type = @token_type, bearer_reason = @bearer_reason, key_id = @key_id,
       expires_at_ms = @expires_at_ms, quirks_json = @quirks_json, grant_type = @grant_type,
       updated_at_ms = @updated_at_ms`,
  );
  const remove = db.prepare('DELETE FROM mcp_oauth WHERE server = ?');

  return {
    get(server: string): OAuthRecord | undefined {
      const row = byServer.get(server);
      return row && toRecord(row);
    },
    save(record: OAuthRecord): void {
      upsert.run({
        server: record.server,
        state: record.state,
        reason: record.reason,
        issuer: record.issuer,
        resource: record.resource,
        client_id: record.clientId,
        client_source: record.clientSource,
        token_endpoint_auth_method: record.tokenEndpointAuthMethod,
        scope: record.scope,
        token_type: record.tokenType,
        bearer_reason: record.bearerReason,
        key_id: record.keyId,
        expires_at_ms: record.expiresAtMs,
        quirks_json: JSON.stringify(record.quirks),
        grant_type: record.grant,
        updated_at_ms: record.updatedAtMs,
      });
    },
    remove(server: string): void {
      remove.run(server);
    },
  };
}

/** The OAuth metadata store of a daemon. */
export type OAuthStore = ReturnType<typeof createOAuthStore>;

/** A record with nothing known yet. */
export function emptyOAuthRecord(server: string, nowMs: number, quirks?: Partial<OAuthQuirks>): OAuthRecord {
  return {
    server,
    state: 'oauth_required',
    reason: null,
    issuer: null,
    resource: null,
    clientId: null,
    clientSource: null,
    tokenEndpointAuthMethod: null,
    scope: null,
    tokenType: null,
    bearerReason: null,
    keyId: null,
    expiresAtMs: null,
    quirks: { ...NO_QUIRKS, ...quirks },
    grant: 'authorization_code',
    updatedAtMs: nowMs,
  };
}
