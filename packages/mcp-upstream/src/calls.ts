import { CallToolResultSchema, type ServerCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { checkCallInputs, checkRelayInputs } from './call-inputs.js';
import type { UpstreamServerConfig } from './config.js';
import { UpstreamError } from './errors.js';
import { assertWithinLimits, describeViolation, type LimitViolation } from './limits.js';
import type { UpstreamCallOptions, UpstreamCallResult } from './pool-types.js';
import { withProgress } from './progress.js';
import { entryFor, type PoolContext } from './registry.js';
import { RELAYED_METHODS, type RelayedMethod } from './relayed-methods.js';
import { runRequest } from './run-request.js';
import { sdkRequestOptions } from './session.js';

/**
 * Enforces the depth and size caps on a result before anyone walks it: the transport capped the
 * message, but a result must also be shallow enough for recursive code and, re-serialized, within the
 * server's byte cap.
 * @param subject completes "Server X ...", e.g. `answered prompts/get with a result`
 */
function assertResultWithinLimits(server: string, subject: string, result: unknown, maxBytes: number): void {
  assertWithinLimits(result, { maxBytes }, (violation: LimitViolation) => {
    const message = `Server "${server}" ${subject} ${describeViolation(violation)}.`;
    if (violation.kind === 'too_large') {
      return new UpstreamError('too_large', message, { server, details: { limit: violation.limit } });
    }
    return new UpstreamError('malformed', message, { server });
  });
}

/** See {@link UpstreamPool.callTool}. */
export async function callTool(
  ctx: PoolContext,
  config: UpstreamServerConfig,
  toolName: string,
  args: Record<string, unknown>,
  opts: UpstreamCallOptions = {},
): Promise<UpstreamCallResult> {
  const entry = entryFor(ctx, config);
  checkCallInputs(toolName, args, opts);
  const timeoutMs = opts.timeoutMs ?? entry.config.timeoutMs;
  const params = { name: toolName, arguments: args, ...(opts.meta ? { _meta: opts.meta } : {}) };
  return runRequest(
    ctx,
    entry,
    `calling tool "${toolName}"`,
    timeoutMs,
    opts.signal,
    async (session, signal) => {
      const raw = await withProgress(session.progress, params, opts.onProgress, (sent) =>
        session.client.request(
          { method: 'tools/call', params: sent as typeof params },
          CallToolResultSchema,
          sdkRequestOptions(timeoutMs, signal),
        ),
      );
      // Reduced to the documented shape: whatever else the server added is dropped unread.
      const result: UpstreamCallResult = { content: raw.content };
      if (raw.structuredContent !== undefined) result.structuredContent = raw.structuredContent;
      if (raw.isError !== undefined) result.isError = raw.isError;
      assertResultWithinLimits(
        entry.name,
        `returned a result for "${toolName}"`,
        result,
        entry.config.maxResponseBytes,
      );
      return result;
    },
  );
}

/** See {@link UpstreamPool.request}. */
export async function relayRequest(
  ctx: PoolContext,
  config: UpstreamServerConfig,
  method: RelayedMethod,
  params: Record<string, unknown>,
  opts: UpstreamCallOptions = {},
): Promise<Record<string, unknown>> {
  const entry = entryFor(ctx, config);
  checkRelayInputs(method, params, opts);
  const timeoutMs = opts.timeoutMs ?? entry.config.timeoutMs;
  const sent = opts.meta ? { ...params, _meta: { ...opts.meta } } : params;
  return runRequest(ctx, entry, `answering ${method}`, timeoutMs, opts.signal, async (session, signal) => {
    const raw = await withProgress(session.progress, sent, opts.onProgress, (withToken) =>
      session.client.request(
        { method, params: withToken },
        RELAYED_METHODS[method],
        sdkRequestOptions(timeoutMs, signal),
      ),
    );
    const result = raw as Record<string, unknown>;
    assertResultWithinLimits(
      entry.name,
      `answered ${method} with a result`,
      result,
      entry.config.maxResponseBytes,
    );
    return result;
  });
}

/** See {@link UpstreamPool.serverCapabilities}. */
export async function serverCapabilities(
  ctx: PoolContext,
  config: UpstreamServerConfig,
): Promise<ServerCapabilities> {
  const entry = entryFor(ctx, config);
  return runRequest(ctx, entry, 'connecting', entry.config.timeoutMs, undefined, async (session) =>
    structuredClone(session.client.getServerCapabilities() ?? {}),
  );
}
