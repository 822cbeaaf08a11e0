/**
 * W3C trace context from the agent's MCP request (`_meta.traceparent`) through the gateway and the
 * daemon to a remote MCP server: one trace, end to end. A real daemon, the real gateway over an
 * in-memory MCP link, a real stdio MCP server; spans are collected in memory.
 */
import { createGatewayServer } from '@briefcase/gateway';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { type CallToolResult, CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

const META_ECHO = new URL('./fixtures/meta-echo-server.mjs', import.meta.url).pathname;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN_ID}-01`;

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let bc: TestDaemon;
let mcp: Client;

beforeAll(async () => {
  provider.register();
  bc = await startTestDaemon();
  await bc.admin.addMcpServer({
    name: 'meta',
    command: [process.execPath, META_ECHO],
    trustAnnotations: true,
  });
  const server = createGatewayServer({ client: bc.agent, version: 'test', log: () => undefined });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  mcp = new Client({ name: 'traced-agent', version: '1' });
  await mcp.connect(clientSide);
}, 30_000);

afterAll(async () => {
  await mcp?.close();
  await bc?.stop();
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

beforeEach(() => exporter.reset());

async function call(name: string, args: Record<string, unknown>, meta: Record<string, unknown>) {
  const result = await mcp.callTool({ name, arguments: args, _meta: meta }, CallToolResultSchema);
  return result as CallToolResult;
}

function callToolSpans() {
  return exporter.getFinishedSpans().filter((s) => s.name === 'briefcase.call_tool');
}

describe('trace context from the agent', () => {
  it("runs the daemon's pipeline span as a child of the agent's span", async () => {
    const result = await call('echo', { text: 'hi' }, { traceparent: TRACEPARENT, tracestate: 'agent=1' });
    expect(result.isError).toBeFalsy();
    const [span, ...more] = callToolSpans();
    expect(more).toEqual([]);
    expect(span?.spanContext().traceId).toBe(TRACE_ID);
    expect(span?.parentSpanContext?.spanId).toBe(CLIENT_SPAN_ID);
    expect(span?.parentSpanContext?.isRemote).toBe(true);
    expect(span?.spanContext().traceState?.get('agent')).toBe('1');
  });

  it('reaches the remote MCP server in _meta, as a child of the daemon span that called it', async () => {
    const result = await call('meta__echo_meta', {}, { traceparent: TRACEPARENT, tracestate: 'agent=1' });
    expect(result.isError, JSON.stringify(result)).toBeFalsy();
    const text = (result.content[0] as { type: 'text'; text: string }).text;
    const received = JSON.parse(text) as { traceparent?: string; tracestate?: string };
    const parts = received.traceparent?.split('-');
    expect(parts?.[0]).toBe('00');
    expect(parts?.[1]).toBe(TRACE_ID);
    expect(received.tracestate).toBe('agent=1');
    const daemonSpans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === TRACE_ID);
    const parent = daemonSpans.find((s) => s.spanContext().spanId === parts?.[2]);
    expect(parent?.name).toMatch(/^briefcase\./);
    expect(parent?.name).not.toBe('briefcase.call_tool');
  });

  it.each([
    ['uppercase hex', `00-${TRACE_ID.toUpperCase()}-${CLIENT_SPAN_ID}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${CLIENT_SPAN_ID}-01`],
    ['an all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['another version', `01-${TRACE_ID}-${CLIENT_SPAN_ID}-01`],
    ['a header injection', `${TRACEPARENT}\r\nx-injected: 1`],
    ['a number', 42],
  ])('ignores a traceparent with %s: the call succeeds in a new trace', async (_what, traceparent) => {
    const result = await call('echo', { text: 'hi' }, { traceparent, tracestate: 'agent=1' });
    expect(result.isError).toBeFalsy();
    const [span] = callToolSpans();
    expect(span).toBeDefined();
    expect(span?.spanContext().traceId).not.toBe(TRACE_ID);
    expect(span?.parentSpanContext).toBeUndefined();
  });

  it('starts a new trace when the agent sends no trace context', async () => {
    const received = JSON.parse(
      ((await call('meta__echo_meta', {}, {})).content[0] as { text: string }).text,
    ) as { traceparent?: string };
    const [span] = callToolSpans();
    expect(span?.parentSpanContext).toBeUndefined();
    expect(received.traceparent?.split('-')[1]).toBe(span?.spanContext().traceId);
  });
});
