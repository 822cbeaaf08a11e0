import { callTool, listTools } from '@briefcase/api';
import { isBriefcaseError } from '@briefcase/core';
import { context } from '@opentelemetry/api';
import type { FastifyError, FastifyInstance } from 'fastify';
import { ANY_ROLE } from '../auth.js';
import type { ApprovalStore } from '../db/approvals.js';
import { toBriefcaseError } from '../errors.js';
import type { ApprovalEvents } from '../events.js';
import type { ChannelHub } from '../mcp/channels.js';
import type { Pipeline } from '../pipeline/call.js';
import { waitForDecision } from '../pipeline/wait.js';
import type { ToolRegistry } from '../tools/registry.js';
import { callerTraceContext } from '../trace-context.js';
import { bindingOf } from './relay.js';

/** What the tool routes read: the catalog, and the pipeline every call goes through. */
export interface ToolRouteDeps {
  registry: ToolRegistry;
  pipeline: Pipeline;
  approvals: ApprovalStore;
  events: ApprovalEvents;
  channels: ChannelHub;
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
      const caller = { role: request.role ?? 'agent', agent: 'default' } as const;
      if (request.validationError) {
        throw deps.pipeline.recordRejectedAttempt(
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
      if (binding) Object.assign(call, { binding });
      // A caller who goes away before the answer cancels the call (the tool is told, if it can be).
      const gone = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) gone.abort();
      });
      Object.assign(call, { signal: gone.signal });
      // The pipeline's spans continue the caller's trace (the gateway passes the agent's W3C context).
      const traced = callerTraceContext(request.headers);
      const callTool = (c: typeof call) => context.with(traced, () => deps.pipeline.callTool(c, caller));
      try {
        return reply.send(await callTool(call));
      } catch (error) {
        if (!waitMs || !isBriefcaseError(error) || error.code !== 'approval_required' || !error.approvalId) {
          throw error;
        }
        // The request stream closed once Fastify read the body; the response closes when the caller
        // goes away. A caller who left must not have the call run on an approval nobody will see.
        const closed = new AbortController();
        reply.raw.once('close', () => closed.abort());
        if (reply.raw.destroyed || request.raw.socket.destroyed) closed.abort();
        const decided = await waitForDecision(
          deps.approvals,
          deps.events,
          error.approvalId,
          waitMs,
          closed.signal,
        );
        if (!decided) throw error;
        // The decision is not taken from the wait: the call runs the whole pipeline again, which uses
        // the approval (or reports the denial) and writes its own receipt.
        return reply.send(await callTool({ ...call, approvalId: error.approvalId }));
      } finally {
        // Once per request, after everything the call sent down the channel: see ChannelHub.end.
        deps.channels.end(binding);
      }
    },
  );
}
