import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { AddServerInput, McpManager } from '../mcp/manager.js';
import { errorResponses } from '../schemas.js';

/** What the MCP routes drive: the remote-server manager (absent when no manager is configured). */
export interface McpRouteDeps {
  mcp: McpManager;
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
        authorization: { type: 'string', enum: ['none', 'oauth_required'] },
      },
      required: ['connected', 'lastError', 'authorization'],
    },
    tools: { type: 'array', items: toolView },
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
  ],
};

const one = { type: 'object', properties: { server: serverView }, required: ['server'] };

/** Registers the admin's remote MCP server routes: add, list, show, refresh, review, remove. */
export function registerMcpRoutes(app: FastifyInstance, deps: McpRouteDeps): void {
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
      config: { roles: ADMIN },
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
      config: { roles: ADMIN },
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
      config: { roles: ADMIN },
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
    async (request) => deps.mcp.refresh((request.params as { name: string }).name),
  );

  app.post(
    '/v1/mcp/servers/:name/review',
    {
      config: { roles: ADMIN },
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
