import { type BriefcaseClient, traceContextFromMeta } from '@briefcase/client';
import { isBriefcaseError, MAX_APPROVAL_WAIT_MS } from '@briefcase/core';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode as JsonRpcErrorCode,
  ListToolsRequestSchema,
  type ListToolsResult,
  McpError,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_APPROVAL_WAIT_MS } from './approval-wait.js';
import { protocolError, SHUTTING_DOWN_MESSAGE, TOOL_LEVEL_CODES, toolErrorResult } from './errors.js';
import { attachRelay } from './relay.js';
import { toMcpResult, toMcpTool } from './tools.js';

export { DEFAULT_APPROVAL_WAIT_MS } from './approval-wait.js';

/** Options for {@link createGatewayServer}. */
export interface GatewayServerOptions {
  /** A client for briefcased holding the `agent` token (`createClient({ role: 'agent' })`). */
  client: BriefcaseClient;
  /**
   * How long a call that needs approval is held open while a person decides, in ms (0 to
   * `MAX_APPROVAL_WAIT_MS`, default {@link DEFAULT_APPROVAL_WAIT_MS}). Past it the call returns
   * `approval_required` and the agent retries later.
   */
  approvalWaitMs?: number;
  /** Interval of `notifications/progress` while a call is pending, when the client asked for progress (default 5000). */
  progressIntervalMs?: number;
  /** Reported as `serverInfo.version`. */
  version: string;
  /** Where operator diagnostics go; default: one line on stderr (never stdout, which stdio MCP owns). */
  log?: (message: string) => void;
  /**
   * Aborts when the gateway is shutting down: every `tools/call` in flight (typically one held for
   * approval) stops its daemon request and is answered with `shutting_down`, and later calls are
   * answered so at once. The owner then waits for {@link settleCalls} before closing the session, so
   * no agent is left waiting for an answer that will never come.
   */
  stopping?: AbortSignal;
}

/** The `tools/call` handlers of each server still running, until their answer is handed to the transport. */
const callsInFlight = new WeakMap<Server, Set<Promise<unknown>>>();

/**
 * Resolves once every `tools/call` of `server` that was in flight has returned its answer to the
 * SDK, which sends it in the same tick. Used at shutdown, after aborting `stopping`.
 */
export async function settleCalls(server: Server): Promise<void> {
  await Promise.allSettled([...(callsInFlight.get(server) ?? [])]);
  // The SDK sends a handler's answer from a continuation of its promise: let that run too.
  await new Promise((resolve) => setImmediate(resolve));
}

/** Writes one diagnostic line to stderr. */
export function logToStderr(message: string): void {
  process.stderr.write(`briefcase-gateway: ${message}\n`);
}

function instructions(approvalWaitMs: number): string {
  const wait = Math.round(approvalWaitMs / 1000);
  return [
    'Credential Briefcase runs these tools for you on a trusted daemon that holds every credential; you never see one.',
    `Some calls (writes, payments, calls over budget) need a person's approval. Such a call waits up to ${wait} s for the person to decide.`,
    'If nobody decides in time, the result has isError: true and structuredContent.code "approval_required" with an approvalId:',
    'tell the user what you want to do and the approval id, ask them to approve it (`briefcase approvals approve <id>`), then retry exactly the same call with the same arguments.',
    'You cannot approve anything yourself, and a denied call ("denied") must not be retried unchanged.',
    'Every successful result carries _meta["briefcase/provenance"]: which tool and server answered, and its receipt in the audit log.',
  ].join('\n');
}

/** A tool name as it may appear in a message: quoted, clipped, so a hostile name stays one short line. */
function printableName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

function hasReceipt(details: unknown): boolean {
  return typeof details === 'object' && details !== null && 'receiptSeq' in details;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/**
 * Creates the MCP server the agent talks to: `tools/list` and `tools/call`, both forwarded to
 * briefcased with the agent token. It holds no other secret and can do nothing else: the agent
 * token may only list and call tools, so nothing reachable from here can approve, deny, or change
 * policy or budgets.
 *
 * One server serves one MCP session (one stdio connection, or one Streamable HTTP session).
 */
export function createGatewayServer(options: GatewayServerOptions): Server {
  const { client } = options;
  const approvalWaitMs = checkRange(
    'approvalWaitMs',
    options.approvalWaitMs ?? DEFAULT_APPROVAL_WAIT_MS,
    0,
    MAX_APPROVAL_WAIT_MS,
  );
  const progressIntervalMs = checkRange(
    'progressIntervalMs',
    options.progressIntervalMs ?? 5_000,
    1,
    3_600_000,
  );
  const log = options.log ?? logToStderr;

  const server = new Server(
    { name: 'credential-briefcase', version: options.version },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        completions: {},
        logging: {},
      },
      instructions: instructions(approvalWaitMs),
    },
  );

  const stopping = options.stopping;
  const calls = new Set<Promise<unknown>>();
  callsInFlight.set(server, calls);

  const relay = attachRelay(server, client, log);
  // The session's channel closes with the session, however it ends.
  server.onclose = () => relay.close(); // owners that set their own onclose chain this one

  // Names of tools whose last listing declared an outputSchema. Clients learn output schemas only
  // from tools/list, so this is exactly what this session's client validates against.
  let toolsWithOutputSchema = new Set<string>();

  server.setRequestHandler(ListToolsRequestSchema, async (request, extra): Promise<ListToolsResult> => {
    // The catalog fits one page, so this server never hands out a cursor: any cursor is unknown
    // (MCP 2025-11-25, utilities/pagination: invalid cursors SHOULD be InvalidParams).
    if (request.params?.cursor !== undefined) {
      throw new McpError(
        JsonRpcErrorCode.InvalidParams,
        'Unknown cursor: this server returns all tools on one page',
      );
    }
    let views: Awaited<ReturnType<BriefcaseClient['listTools']>>;
    try {
      views = await client.listTools({ signal: extra.signal });
    } catch (error) {
      throw protocolError(error, log);
    }
    const tools: Tool[] = [];
    for (const view of views) {
      const tool = toMcpTool(view);
      if (tool === undefined)
        log(`tool ${JSON.stringify(view.name)} left out: its inputSchema is not an object schema`);
      else tools.push(tool);
    }
    toolsWithOutputSchema = new Set(tools.filter((t) => t.outputSchema !== undefined).map((t) => t.name));
    return { tools };
  });

  const isListed = async (name: string): Promise<boolean> => {
    try {
      return (await client.listTools()).some((view) => view.name === name);
    } catch {
      return false;
    }
  };

  // MCP elicitation is never used to approve anything: the client runtime is on the untrusted side
  // (the agent, or whatever drives it, could answer an elicitation itself). Approvals are decided only
  // by a person through briefcased's admin surfaces, which this process cannot reach.
  server.setRequestHandler(CallToolRequestSchema, (request, extra): Promise<CallToolResult> => {
    const answer = callTool(request, extra);
    calls.add(answer);
    void answer.finally(() => calls.delete(answer)).catch(() => {});
    return answer;
  });

  const shuttingDown = (name: string): CallToolResult =>
    toolErrorResult('shutting_down', SHUTTING_DOWN_MESSAGE, {}, toolsWithOutputSchema.has(name));

  async function callTool(
    request: CallToolRequest,
    extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  ): Promise<CallToolResult> {
    const { name } = request.params;
    if (stopping?.aborted) return shuttingDown(name);
    const meta = request.params._meta;
    const approvalId = typeof meta?.approvalId === 'string' ? meta.approvalId : undefined;
    // W3C trace context, where MCP clients put it: continued in the daemon when well formed,
    // ignored (the daemon starts a new trace) when not.
    const traceContext = traceContextFromMeta(meta);

    const binding = await relay.bind(extra, meta);
    let progressTimer: NodeJS.Timeout | undefined;
    if (meta?.progressToken !== undefined) {
      const started = Date.now();
      progressTimer = setInterval(() => {
        const seconds = Math.round((Date.now() - started) / 1000);
        binding.tick(
          `waiting for approval or for the tool to finish (${seconds} s); a person approves pending calls with \`briefcase approvals approve <id>\``,
        );
      }, progressIntervalMs);
    }

    try {
      const response = await client.callTool(
        {
          tool: name,
          args: request.params.arguments ?? {},
          ...(approvalId !== undefined ? { approvalId } : {}),
          ...(approvalWaitMs > 0 ? { waitMs: approvalWaitMs } : {}),
          ...(binding.channel !== undefined ? { channel: binding.channel } : {}),
          ...(binding.ref !== undefined ? { ref: binding.ref } : {}),
          ...(binding.progress ? { progress: true } : {}),
        },
        { signal: stopping ? AbortSignal.any([extra.signal, stopping]) : extra.signal, ...traceContext },
      );
      return toMcpResult(response);
    } catch (error) {
      // Stopped by the shutdown, not by the daemon (whose own answer, had it come first, wins).
      if (stopping?.aborted && !extra.signal.aborted && !isBriefcaseError(error)) return shuttingDown(name);
      if (isBriefcaseError(error) && TOOL_LEVEL_CODES.has(error.code)) {
        return toolErrorResult(
          error.code,
          error.message,
          { details: error.details, approvalId: error.approvalId },
          toolsWithOutputSchema.has(name),
        );
      }
      if (isBriefcaseError(error) && error.code === 'not_found') {
        // Unknown tool: a protocol error, as MCP 2025-11-25 server/tools "Error Handling" shows. A
        // listed tool may also report not_found about something it looked up: that is its result.
        if (!(await isListed(name))) {
          throw new McpError(JsonRpcErrorCode.InvalidParams, `Unknown tool: ${printableName(name)}`);
        }
        return toolErrorResult(
          error.code,
          error.message,
          { details: error.details },
          toolsWithOutputSchema.has(name),
        );
      }
      if (isBriefcaseError(error) && error.code === 'unauthorized' && hasReceipt(error.details)) {
        // The pipeline ran (it wrote a receipt), so the tool itself was refused upstream, not our token.
        return toolErrorResult(
          error.code,
          error.message,
          { details: error.details },
          toolsWithOutputSchema.has(name),
        );
      }
      // A cancelled call gets no response at all (the SDK drops it); the daemon request is aborted.
      if (extra.signal.aborted) throw new McpError(JsonRpcErrorCode.InternalError, 'Request was cancelled');
      throw protocolError(error, log);
    } finally {
      clearInterval(progressTimer);
      await binding.done();
    }
  }

  return server;
}
