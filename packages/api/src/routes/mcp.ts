import { defineRoute, errorResponses } from '../route.js';
import { JsonObject, Nullable, OptionalBody, StringEnum, StringMap } from '../schema-kit.js';
import { Type } from '../type.js';

/** Longest `GET /v1/mcp/logins/:id?waitMs=` waits for a login to finish. */
export const MAX_LOGIN_WAIT_MS = 120_000;

const NAME = Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' });
const serverParams = Type.Object({ name: NAME });
const loginParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
const AUTHORIZATION_STATES = ['none', 'authorized', 'oauth_required'] as const;
const GRANTS = ['authorization_code', 'client_credentials', 'jwt_bearer', 'enterprise'] as const;

/** One tool of a remote server and where it stands in review. */
export const McpTool = Type.Object({
  name: Type.String({ description: 'name in the catalog the agent sees' }),
  upstreamName: Type.String(),
  state: StringEnum(['active', 'quarantined']),
  change: StringEnum(['none', 'new', 'changed']),
  description: Type.String(),
  flags: Type.Array(Type.String(), { description: 'instruction-like text found in the definition' }),
  pinned: Nullable(
    JsonObject({
      additionalProperties: true,
      description: 'the definition offered to the agent (as accepted); null when never accepted',
    }),
  ),
  pending: Nullable(
    JsonObject({
      additionalProperties: true,
      description: 'a changed or new definition awaiting review: compare with `pinned` before accepting',
    }),
  ),
});

/** A remote server's OAuth state; never a token. */
export const McpAuth = Type.Object(
  {
    state: StringEnum(AUTHORIZATION_STATES),
    reason: Nullable(Type.String()),
    issuer: Nullable(Type.String()),
    scope: Nullable(Type.String()),
    tokenType: Nullable(StringEnum(['DPoP', 'Bearer'])),
    bearerReason: Nullable(Type.String()),
    expiresAt: Nullable(Type.String()),
    clientSource: Nullable(Type.String()),
    grant: Type.Optional(
      StringEnum(GRANTS, {
        description:
          'how tokens are obtained: authorization_code needs a person; client_credentials and jwt_bearer are repeated by the daemon when the tokens expire',
      }),
    ),
    quirks: Type.Object({
      omitResource: Type.Boolean(),
      oidcOnly: Type.Boolean(),
      noDynamicRegistration: Type.Boolean(),
    }),
  },
  { description: 'OAuth state of the server; never a token' },
);

/** A login started for a remote server. */
export const McpLogin = Type.Object({
  id: Type.String(),
  server: Type.String(),
  state: StringEnum(['pending', 'authorized', 'failed']),
  authorizationUrl: Type.Optional(Type.String({ description: 'where the person signs in (while pending)' })),
  expiresAt: Type.String(),
  error: Type.Optional(
    Type.Object({
      code: Type.String(),
      reason: Type.Optional(Type.String()),
      message: Type.String(),
    }),
  ),
});

/** A registered remote server: its settings, connection, OAuth state and tools. */
export const McpServer = Type.Object({
  name: Type.String(),
  transport: StringEnum(['streamable_http', 'sse', 'stdio']),
  url: Nullable(Type.String()),
  command: Nullable(Type.Array(Type.String())),
  envNames: Type.Array(Type.String(), { description: 'values are in the secret store, never returned' }),
  prefix: Type.Boolean(),
  trustAnnotations: Type.Boolean(),
  costMicroUsd: Type.Integer(),
  timeoutMs: Nullable(Type.Integer(), {
    description:
      'deadline of every request to the server, connecting included, in ms; null = the default (30000)',
  }),
  createdAt: Type.String(),
  status: Type.Object({
    connected: Type.Boolean(),
    lastError: Nullable(Type.String()),
    authorization: StringEnum(AUTHORIZATION_STATES),
  }),
  tools: Type.Array(McpTool),
  auth: McpAuth,
});

const oneServer = Type.Object({ server: McpServer });
const oneLogin = Type.Object({ login: McpLogin });

export const startMcpLogin = defineRoute('POST', '/v1/mcp/servers/:name/login', {
  summary: 'Start an OAuth login for a remote server',
  description:
    "Discovers the server's authorization server from its 401 (RFC 9728, then RFC 8414 / OpenID), identifies the client (given client id, client ID metadata document, or dynamic registration), and returns the authorization URL (PKCE S256, `resource`, DPoP key binding when advertised). The daemon listens on a loopback redirect URI (RFC 8252) and finishes the login by itself; follow it with `GET /v1/mcp/logins/{id}`.",
  params: serverParams,
  body: OptionalBody(
    Type.Object(
      {
        grant: Type.Optional(
          StringEnum(GRANTS, {
            description:
              'authorization_code (default): a person signs in in a browser. client_credentials (OAuth 2.1 §4.2), jwt_bearer (RFC 7523 §2.1) and enterprise (SEP-990: RFC 8693 token exchange of idToken at idp for an ID-JAG, then jwt_bearer with it): no browser; the login finishes before the answer, and the daemon repeats the grant when the tokens expire',
          }),
        ),
        clientId: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
        clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
        privateKey: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 16384,
            description:
              "PEM private key of a pre-registered client that authenticates with private_key_jwt (RFC 7523 §2.2); kept only in the daemon's secret store, never returned",
          }),
        ),
        signingAlg: Type.Optional(StringEnum(['ES256', 'EdDSA', 'RS256'])),
        idp: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 2048,
            description: 'grant enterprise: the issuer URL of the enterprise identity provider',
          }),
        ),
        idpClientId: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
        idToken: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 16384,
            description:
              "grant enterprise: the person's ID token from the identity provider; kept only in the daemon's secret store, never returned",
          }),
        ),
        clientAuth: Type.Optional(
          StringEnum(['client_secret_basic', 'client_secret_post'], {
            description:
              'how a client with a secret authenticates at the token endpoint (RFC 6749 §2.3.1); default: client_secret_basic when the authorization server lists it, else client_secret_post',
          }),
        ),
        assertion: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 16384,
            description:
              "the JWT presented with grant jwt_bearer (a workload identity token, SEP-1933); kept only in the daemon's secret store, never returned",
          }),
        ),
        scope: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
        clientMetadataUrl: Type.Optional(
          Type.String({
            minLength: 1,
            maxLength: 2048,
            description:
              "the https URL where you host this client's Client ID Metadata Document (`briefcase mcp client-metadata`); used as the client id when the authorization server advertises client_id_metadata_document_supported",
          }),
        ),
        omitResource: Type.Optional(
          Type.Boolean({ description: 'quirk: do not send the RFC 8707 resource parameter' }),
        ),
        oidcOnly: Type.Optional(Type.Boolean({ description: 'quirk: OpenID Connect discovery only' })),
        noDynamicRegistration: Type.Optional(
          Type.Boolean({ description: 'quirk: never register dynamically' }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  response: { 201: oneLogin, ...errorResponses(400, 401, 403, 404, 424, 502) },
});

export const getMcpLogin = defineRoute('GET', '/v1/mcp/logins/:id', {
  summary: 'The state of a login; with waitMs, waits up to that long for it to finish',
  params: loginParams,
  querystring: Type.Object(
    {
      waitMs: Type.Optional(
        Type.String({
          pattern: '^[0-9]{1,6}$',
          description: `milliseconds to wait for the login to finish, at most ${MAX_LOGIN_WAIT_MS}`,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: { 200: oneLogin, ...errorResponses(400, 401, 403, 404) },
});

export const cancelMcpLogin = defineRoute('DELETE', '/v1/mcp/logins/:id', {
  summary: 'Cancel a pending login: its loopback redirect listener closes',
  params: loginParams,
  response: { 200: oneLogin, ...errorResponses(401, 403, 404) },
});

export const logoutMcpServer = defineRoute('POST', '/v1/mcp/servers/:name/logout', {
  summary: 'Log out of a remote server: revoke its tokens at the server (RFC 7009), then forget them',
  params: serverParams,
  body: OptionalBody(
    Type.Object(
      {
        localOnly: Type.Optional(
          Type.Boolean({ description: 'forget the tokens without calling the server' }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  response: {
    200: Type.Object({
      revoked: Type.Object({ refreshToken: Type.Boolean(), accessToken: Type.Boolean() }),
    }),
    ...errorResponses(401, 403, 404),
  },
});

export const listMcpServers = defineRoute('GET', '/v1/mcp/servers', {
  summary: 'Remote MCP servers and the state of their tools',
  response: { 200: Type.Object({ servers: Type.Array(McpServer) }), ...errorResponses(401, 403) },
});

export const addMcpServer = defineRoute('POST', '/v1/mcp/servers', {
  summary: 'Add a remote MCP server (Streamable HTTP, HTTP+SSE, or a local stdio command)',
  description:
    'Connects, lists its tools and pins each definition (hash of name, description and schemas). Environment values for stdio servers go to the secret store; only their names are kept.',
  body: Type.Object(
    {
      name: NAME,
      url: Type.Optional(Type.String({ maxLength: 2048 })),
      transport: Type.Optional(StringEnum(['streamable_http', 'sse'])),
      command: Type.Optional(Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 256 })),
      env: Type.Optional(StringMap(Type.String({ maxLength: 65536 }), { maxProperties: 64 })),
      prefix: Type.Optional(Type.Boolean()),
      trustAnnotations: Type.Optional(Type.Boolean()),
      costMicroUsd: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
      timeoutMs: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 600_000,
          description: 'deadline of every request to the server, connecting included, in ms (default 30000)',
        }),
      ),
    },
    { additionalProperties: false },
  ),
  response: { 201: oneServer, ...errorResponses(400, 401, 403, 424, 502) },
});

export const getMcpServer = defineRoute('GET', '/v1/mcp/servers/:name', {
  summary: 'One remote MCP server',
  params: serverParams,
  response: { 200: oneServer, ...errorResponses(401, 403, 404) },
});

export const removeMcpServer = defineRoute('DELETE', '/v1/mcp/servers/:name', {
  summary: 'Remove a remote MCP server, its pins and its stored environment values',
  params: serverParams,
  response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
});

export const refreshMcpServer = defineRoute('POST', '/v1/mcp/servers/:name/refresh', {
  summary: 'Fetch the live tool list and compare it with the pins (changed or new tools are quarantined)',
  params: serverParams,
  body: OptionalBody(JsonObject()),
  response: {
    200: Type.Object({
      server: McpServer,
      changes: Type.Array(Type.Object({ tool: Type.String(), change: Type.String() })),
    }),
    ...errorResponses(401, 403, 404, 424, 502),
  },
});

export const reviewMcpServer = defineRoute('POST', '/v1/mcp/servers/:name/review', {
  summary: 'Accept every pending (changed or new) tool definition of a server',
  params: serverParams,
  body: OptionalBody(JsonObject()),
  response: {
    200: Type.Object({ server: McpServer, accepted: Type.Array(Type.String()) }),
    ...errorResponses(401, 403, 404),
  },
});
