import { type BodyOf, callTool, listTools } from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import { context } from '@opentelemetry/api';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ANY_ROLE } from '../auth.js';
import { toBriefcaseError } from '../errors.js';
import { DEFAULT_AGENT } from '../kernel/action.js';
import { BAD_APPROVAL_ID_MESSAGE, type ToolCalls } from '../kernel/actions/tool-call.js';
import type { ChannelHub } from '../mcp/channels.js';
import type { ToolRegistry } from '../tools/registry.js';
import { callerTraceContext } from '../trace-context.js';
import { bindingOf } from './relay.js';

/** What the tool routes read: the catalog, and the kernel every call goes through. */
export interface ToolRouteDeps {
  registry: ToolRegistry;
  toolCalls: ToolCalls;
  channels: ChannelHub;
}

/**
 * The error for a call body the contract refused. A bad approval id gets its own message: the
 * schema's ("body/approvalId must NOT have more than 64 characters") reads as if the tool's
 * arguments were wrong, and the call works without the id.
 */
function refusedCall(error: BriefcaseError): BriefcaseError {
  const errors = (error.details as { errors?: { path?: unknown }[] } | undefined)?.errors ?? [];
  return errors.some((e) => e.path === '/approvalId')
    ? new BriefcaseError('invalid_args', BAD_APPROVAL_ID_MESSAGE, { details: error.details })
    : error;
}

/** Registers GET /v1/tools (the catalog) and POST /v1/tools/call (both roles). */
export function registerToolRoutes(app: FastifyInstance, deps: ToolRouteDeps): void {
  app.get(
    listTools.url,
    {
      config: { roles: ANY_ROLE },
      schema: listTools.schema,
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
    callTool.url,
    {
      config: { roles: ANY_ROLE },
      attachValidation: true,
      schema: callTool.schema,
    },
    async (request, reply) => {
      const caller = { role: request.role ?? 'agent', agent: DEFAULT_AGENT } as const;
      if (request.validationError) {
        throw await deps.toolCalls.recordRejected(
          caller,
          refusedCall(toBriefcaseError(request.validationError as FastifyError).error),
          request.body,
        );
      }
      const { waitMs, channel, ref, progress, ...call } = request.body as BodyOf<typeof callTool>;
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
