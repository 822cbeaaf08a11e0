import { MAX_APPROVAL_ID_LENGTH, MAX_APPROVAL_WAIT_MS, MAX_TOOL_NAME_LENGTH } from '@briefcase/core';
import { context } from '@opentelemetry/api';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ANY_ROLE } from '../auth.js';
import { toBriefcaseError } from '../errors.js';
import { DEFAULT_AGENT } from '../kernel/action.js';
import type { ToolCalls } from '../kernel/actions/tool-call.js';
import type { ChannelHub } from '../mcp/channels.js';
import { errorResponses, ref } from '../schemas.js';
import type { ToolRegistry } from '../tools/registry.js';
import { callerTraceContext } from '../trace-context.js';
import { BINDING_PROPERTIES, bindingOf } from './relay.js';

/** What the tool routes read: the catalog, and the kernel every call goes through. */
export interface ToolRouteDeps {
  registry: ToolRegistry;
  toolCalls: ToolCalls;
  channels: ChannelHub;
}

/** Registers GET /v1/tools (the catalog) and POST /v1/tools/call (both roles). */
export function registerToolRoutes(app: FastifyInstance, deps: ToolRouteDeps): void {
  app.get(
    '/v1/tools',
    {
      config: { roles: ANY_ROLE },
      schema: {
        summary: 'The tool catalog',
        response: {
          200: {
            type: 'object',
            properties: { tools: { type: 'array', items: ref('Tool') } },
            required: ['tools'],
          },
          ...errorResponses(401),
        },
      },
    },
    async () => ({
      tools: deps.registry.list().map(({ definition: d }) => ({
        name: d.name,
        description: d.description,
        inputSchema: d.inputSchema,
        ...(d.outputSchema ? { outputSchema: d.outputSchema } : {}),
        category: d.category,
        effect: d.effect,
        costMicroUsd: d.costMicroUsd,
        source: d.source,
      })),
    }),
  );

  app.post(
    '/v1/tools/call',
    {
      config: { roles: ANY_ROLE },
      attachValidation: true,
      schema: {
        summary: 'Call a tool through the enforcement pipeline',
        description:
          'Validates, decides (policy, budget, risk), asks for approval when needed, executes, redacts and writes a receipt. Every attempt, successful or not, writes exactly one receipt; errors carry `details.receiptSeq`. After a person approves, repeat the exact same call (with or without `approvalId`).',
        body: {
          type: 'object',
          properties: {
            tool: { type: 'string', minLength: 1, maxLength: MAX_TOOL_NAME_LENGTH },
            args: { type: 'object' },
            approvalId: { type: 'string', maxLength: MAX_APPROVAL_ID_LENGTH },
            waitMs: {
              type: 'integer',
              minimum: 0,
              maximum: MAX_APPROVAL_WAIT_MS,
              description:
                'When the call needs approval, hold the request up to this long while a person decides; approved in time, the call runs and its result is returned.',
            },
            ...BINDING_PROPERTIES,
          },
          required: ['tool'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              result: {},
              provenance: {
                type: 'object',
                properties: {
                  tool: { type: 'string' },
                  source: ref('ToolSource'),
                  receiptSeq: { type: 'integer' },
                  receiptHash: { type: 'string' },
                  costMicroUsd: { type: 'integer' },
                  approvalId: { type: ['string', 'null'] },
                  redactions: { type: 'integer' },
                  durationMs: { type: 'number' },
                },
                required: [
                  'tool',
                  'source',
                  'receiptSeq',
                  'receiptHash',
                  'costMicroUsd',
                  'approvalId',
                  'durationMs',
                ],
              },
            },
            required: ['result', 'provenance'],
          },
          ...errorResponses(400, 401, 402, 403, 404, 409, 413, 415, 424, 500, 502),
        },
      },
    },
    async (request, reply) => {
      const caller = { role: request.role ?? 'agent', agent: DEFAULT_AGENT } as const;
      if (request.validationError) {
        throw await deps.toolCalls.recordRejected(
          caller,
          toBriefcaseError(request.validationError as FastifyError).error,
        );
      }
      const { waitMs, channel, ref, progress, ...call } = request.body as {
        tool: string;
        args?: unknown;
        approvalId?: string;
        waitMs?: number;
        channel?: string;
        ref?: string;
        progress?: boolean;
      };
      const binding = bindingOf(deps.channels, { channel, ref, progress });
      // A caller who goes away before the answer cancels the call (the tool is told, if it can be),
      // and stops a wait for approval: a call must not run on an approval nobody will see answered.
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      if (reply.raw.destroyed || request.raw.socket.destroyed) gone.abort();
      const options = { signal: gone.signal, ...(waitMs ? { waitMs } : {}), ...(binding ? { binding } : {}) };
      // The kernel's spans continue the caller's trace (the gateway passes the agent's W3C context).
      const traced = callerTraceContext(request.headers);
      try {
        return reply.send(await context.with(traced, () => deps.toolCalls.callTool(call, caller, options)));
      } finally {
        // Once per request, after everything the call sent down the channel: see ChannelHub.end.
        deps.channels.end(binding);
      }
    },
  );
}
