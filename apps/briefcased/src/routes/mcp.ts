import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { AdminLedger } from '../kernel/admin.js';
import type { AddServerInput, McpManager } from '../mcp/manager.js';
import { MAX_LOGIN_WAIT_MS } from '../mcp/oauth.js';
import { errorResponses } from '../schemas.js';
import { adminRequestOf } from './admin.js';

/** What the MCP routes drive: the remote-server manager (absent when no manager is configured). */
export interface McpRouteDeps {
  mcp: McpManager;
  /** Receipts of the actions here that have no receipt kind of their own (refresh, login, cancel). */
  admin: AdminLedger;
}

const NAME = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const params = { type: 'object', properties: { name: NAME }, required: ['name'] };

const toolView = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'name in the catalog the agent sees' },
    upstreamName: { type: 'string' },
    state: { type: 'string', enum: ['active', 'quarantined'] },
    change: { type: 'string', enum: ['none', 'new', 'changed'] },
    description: { type: 'string' },
    flags: {
      type: 'array',
      items: { type: 'string' },
      description: 'instruction-like text found in the definition',
    },
    pinned: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'the definition offered to the agent (as accepted); null when never accepted',
    },
    pending: {
      type: ['object', 'null'],
      additionalProperties: true,
      description: 'a changed or new definition awaiting review: compare with `pinned` before accepting',
    },
  },
  required: ['name', 'upstreamName', 'state', 'change', 'description', 'flags', 'pinned', 'pending'],
};

const nullableString = { type: ['string', 'null'] };
const authView = {
  type: 'object',
  description: 'OAuth state of the server; never a token',
  properties: {
    state: { type: 'string', enum: ['none', 'authorized', 'oauth_required'] },
    reason: nullableString,
    issuer: nullableString,
    scope: nullableString,
    tokenType: { type: ['string', 'null'], enum: ['DPoP', 'Bearer', null] },
    bearerReason: nullableString,
    expiresAt: nullableString,
    clientSource: nullableString,
    quirks: {
      type: 'object',
      properties: {
        omitResource: { type: 'boolean' },
        oidcOnly: { type: 'boolean' },
        noDynamicRegistration: { type: 'boolean' },
      },
      required: ['omitResource', 'oidcOnly', 'noDynamicRegistration'],
    },
  },
  required: [
    'state',
    'reason',
    'issuer',
    'scope',
    'tokenType',
    'bearerReason',
    'expiresAt',
    'clientSource',
    'quirks',
  ],
};

const loginView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    server: { type: 'string' },
    state: { type: 'string', enum: ['pending', 'authorized', 'failed'] },
    authorizationUrl: { type: 'string', description: 'where the person signs in (while pending)' },
    expiresAt: { type: 'string' },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, reason: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['id', 'server', 'state', 'expiresAt'],
};

const serverView = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    transport: { type: 'string', enum: ['streamable_http', 'sse', 'stdio'] },
    url: { type: ['string', 'null'] },
    command: { type: ['array', 'null'], items: { type: 'string' } },
    envNames: {
      type: 'array',
      items: { type: 'string' },
      description: 'values are in the secret store, never returned',
    },
    prefix: { type: 'boolean' },
    trustAnnotations: { type: 'boolean' },
    costMicroUsd: { type: 'integer' },
    timeoutMs: {
      type: ['integer', 'null'],
      description:
        'deadline of every request to the server, connecting included, in ms; null = the default (30000)',
    },
    createdAt: { type: 'string' },
    status: {
      type: 'object',
      properties: {
        connected: { type: 'boolean' },
        lastError: { type: ['string', 'null'] },
        authorization: { type: 'string', enum: ['none', 'authorized', 'oauth_required'] },
      },
      required: ['connected', 'lastError', 'authorization'],
    },
    tools: { type: 'array', items: toolView },
    auth: authView,
  },
  required: [
    'name',
    'transport',
    'url',
    'command',
    'envNames',
    'prefix',
    'trustAnnotations',
    'costMicroUsd',
    'timeoutMs',
    'createdAt',
    'status',
    'tools',
    'auth',
  ],
};

const one = { type: 'object', properties: { server: serverView }, required: ['server'] };

/** Registers the admin's remote MCP server routes: add, list, show, refresh, review, remove, login, logout. */
export function registerMcpRoutes(app: FastifyInstance, deps: McpRouteDeps): void {
  app.post(
    '/v1/mcp/servers/:name/login',
    {
      config: { roles: ADMIN, admin: 'mcp.login' },
      schema: {
        summary: 'Start an OAuth login for a remote server',
        description:
          "Discovers the server's authorization server from its 401 (RFC 9728, then RFC 8414 / OpenID), identifies the client (given client id, client ID metadata document, or dynamic registration), and returns the authorization URL (PKCE S256, `resource`, DPoP key binding when advertised). The daemon listens on a loopback redirect URI (RFC 8252) and finishes the login by itself; follow it with `GET /v1/mcp/logins/{id}`.",
        params,
        body: {
          type: ['object', 'null'],
          properties: {
            clientId: { type: 'string', minLength: 1, maxLength: 512 },
            clientSecret: { type: 'string', minLength: 1, maxLength: 4096 },
            scope: { type: 'string', minLength: 1, maxLength: 2048 },
            omitResource: {
              type: 'boolean',
              description: 'quirk: do not send the RFC 8707 resource parameter',
            },
            oidcOnly: { type: 'boolean', description: 'quirk: OpenID Connect discovery only' },
            noDynamicRegistration: { type: 'boolean', description: 'quirk: never register dynamically' },
          },
          additionalProperties: false,
        },
        response: {
          201: { type: 'object', properties: { login: loginView }, required: ['login'] },
          ...errorResponses(400, 401, 403, 404, 424, 502),
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as {
        clientId?: string;
        clientSecret?: string;
        scope?: string;
        omitResource?: boolean;
        oidcOnly?: boolean;
        noDynamicRegistration?: boolean;
      };
      const quirks = {
        ...(body.omitResource !== undefined ? { omitResource: body.omitResource } : {}),
        ...(body.oidcOnly !== undefined ? { oidcOnly: body.oidcOnly } : {}),
        ...(body.noDynamicRegistration !== undefined
          ? { noDynamicRegistration: body.noDynamicRegistration }
          : {}),
      };
      const login = await deps.mcp.login((request.params as { name: string }).name, {
        ...(body.clientId !== undefined ? { clientId: body.clientId } : {}),
        ...(body.clientSecret !== undefined ? { clientSecret: body.clientSecret } : {}),
        ...(body.scope !== undefined ? { scope: body.scope } : {}),
        quirks,
      });
      await deps.admin.done(adminRequestOf(request), { login: login.id });
      return reply.code(201).send({ login });
    },
  );

  app.get(
    '/v1/mcp/logins/:id',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'The state of a login; with waitMs, waits up to that long for it to finish',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        querystring: {
          type: 'object',
          properties: {
            waitMs: {
              type: 'string',
              pattern: '^[0-9]{1,6}$',
              description: `milliseconds to wait for the login to finish, at most ${MAX_LOGIN_WAIT_MS}`,
            },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { login: loginView }, required: ['login'] },
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const closed = new AbortController();
      reply.raw.once('close', () => closed.abort());
      const waitMs = Math.min(Number((request.query as { waitMs?: string }).waitMs ?? 0), MAX_LOGIN_WAIT_MS);
      return {
        login: await deps.mcp.loginStatus((request.params as { id: string }).id, waitMs, closed.signal),
      };
    },
  );

  app.delete(
    '/v1/mcp/logins/:id',
    {
      config: { roles: ADMIN, admin: 'mcp.login.cancel' },
      schema: {
        summary: 'Cancel a pending login: its loopback redirect listener closes',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: {
          200: { type: 'object', properties: { login: loginView }, required: ['login'] },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      const login = await deps.mcp.cancelLogin((request.params as { id: string }).id);
      await deps.admin.done(adminRequestOf(request), { login: login.id, state: login.state });
      return { login };
    },
  );

  app.post(
    '/v1/mcp/servers/:name/logout',
    {
      config: { roles: ADMIN, admin: 'mcp.logout' },
      schema: {
        summary: 'Log out of a remote server: revoke its tokens at the server (RFC 7009), then forget them',
        params,
        body: {
          type: ['object', 'null'],
          properties: {
            localOnly: { type: 'boolean', description: 'forget the tokens without calling the server' },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              revoked: {
                type: 'object',
                properties: { refreshToken: { type: 'boolean' }, accessToken: { type: 'boolean' } },
                required: ['refreshToken', 'accessToken'],
              },
            },
            required: ['revoked'],
          },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => {
      const body = (request.body ?? {}) as { localOnly?: boolean };
      return deps.mcp.logout((request.params as { name: string }).name, {
        localOnly: body.localOnly === true,
      });
    },
  );

  app.get(
    '/v1/mcp/servers',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Remote MCP servers and the state of their tools',
        response: {
          200: {
            type: 'object',
            properties: { servers: { type: 'array', items: serverView } },
            required: ['servers'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async () => ({ servers: deps.mcp.list() }),
  );

  app.post(
    '/v1/mcp/servers',
    {
      config: { roles: ADMIN, admin: 'mcp.add' },
      schema: {
        summary: 'Add a remote MCP server (Streamable HTTP, HTTP+SSE, or a local stdio command)',
        description:
          'Connects, lists its tools and pins each definition (hash of name, description and schemas). Environment values for stdio servers go to the secret store; only their names are kept.',
        body: {
          type: 'object',
          properties: {
            name: NAME,
            url: { type: 'string', maxLength: 2048 },
            transport: { type: 'string', enum: ['streamable_http', 'sse'] },
            command: {
              type: 'array',
              items: { type: 'string', maxLength: 4096 },
              minItems: 1,
              maxItems: 256,
            },
            env: {
              type: 'object',
              additionalProperties: { type: 'string', maxLength: 65536 },
              maxProperties: 64,
            },
            prefix: { type: 'boolean' },
            trustAnnotations: { type: 'boolean' },
            costMicroUsd: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
            timeoutMs: {
              type: 'integer',
              minimum: 1,
              maximum: 600_000,
              description:
                'deadline of every request to the server, connecting included, in ms (default 30000)',
            },
          },
          required: ['name'],
          additionalProperties: false,
        },
        response: { 201: one, ...errorResponses(400, 401, 403, 424, 502) },
      },
    },
    async (request, reply) =>
      reply.code(201).send({ server: await deps.mcp.add(request.body as AddServerInput) }),
  );

  app.get(
    '/v1/mcp/servers/:name',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'One remote MCP server',
        params,
        response: { 200: one, ...errorResponses(401, 403, 404) },
      },
    },
    async (request) => ({ server: deps.mcp.show((request.params as { name: string }).name) }),
  );

  app.delete(
    '/v1/mcp/servers/:name',
    {
      config: { roles: ADMIN, admin: 'mcp.remove' },
      schema: {
        summary: 'Remove a remote MCP server, its pins and its stored environment values',
        params,
        response: { 204: { type: 'null' }, ...errorResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deps.mcp.remove((request.params as { name: string }).name);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/mcp/servers/:name/refresh',
    {
      config: { roles: ADMIN, admin: 'mcp.refresh' },
      schema: {
        summary:
          'Fetch the live tool list and compare it with the pins (changed or new tools are quarantined)',
        params,
        body: { type: ['object', 'null'] },
        response: {
          200: {
            type: 'object',
            properties: {
              server: serverView,
              changes: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { tool: { type: 'string' }, change: { type: 'string' } },
                  required: ['tool', 'change'],
                },
              },
            },
            required: ['server', 'changes'],
          },
          ...errorResponses(401, 403, 404, 424, 502),
        },
      },
    },
    async (request) => {
      const refreshed = await deps.mcp.refresh((request.params as { name: string }).name);
      await deps.admin.done(adminRequestOf(request), { changes: refreshed.changes.length });
      return refreshed;
    },
  );

  app.post(
    '/v1/mcp/servers/:name/review',
    {
      config: { roles: ADMIN, admin: 'mcp.review' },
      schema: {
        summary: 'Accept every pending (changed or new) tool definition of a server',
        params,
        body: { type: ['object', 'null'] },
        response: {
          200: {
            type: 'object',
            properties: { server: serverView, accepted: { type: 'array', items: { type: 'string' } } },
            required: ['server', 'accepted'],
          },
          ...errorResponses(401, 403, 404),
        },
      },
    },
    async (request) => deps.mcp.review((request.params as { name: string }).name),
  );
}
