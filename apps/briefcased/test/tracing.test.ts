import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from './support.js';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let t: TestDaemon;

beforeAll(async () => {
  provider.register();
  t = await startTestDaemon();
});
afterAll(async () => {
  await t.stop();
  await provider.shutdown();
  trace.disable();
});

it('makes each pipeline stage a span carrying tool and decision but never the arguments', async () => {
  const secretArg = 'argument-value-that-must-not-be-traced';
  expect((await t.call('echo', { text: secretArg })).status).toBe(200);
  const spans = exporter.getFinishedSpans();
  const names = spans.map((s) => s.name);
  for (const stage of ['lookup', 'validate', 'decide', 'execute', 'redact']) {
    expect(names).toContain(`briefcase.${stage}`);
  }
  const root = spans.find((s) => s.name === 'briefcase.call_tool');
  expect(root?.attributes['briefcase.tool']).toBe('echo');
  expect(root?.attributes['briefcase.decision']).toBe('allow');
  const traceIds = new Set(
    spans.filter((s) => s.name.startsWith('briefcase.')).map((s) => s.spanContext().traceId),
  );
  expect(traceIds.size).toBe(1);
  expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain(secretArg);
});
