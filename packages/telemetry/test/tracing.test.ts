import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  errorType,
  getTracer,
  SAFE_SPAN_ATTRIBUTES,
  startTracing,
  tracesEndpoint,
  withSpan,
} from '@briefcase/telemetry';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';

interface Received {
  method: string;
  url: string;
  contentType: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A real OTLP/HTTP receiver on loopback that records every request. */
async function startReceiver(): Promise<{ server: Server; endpoint: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, endpoint: `http://127.0.0.1:${port}`, received };
}

const SECRET_MESSAGE = 'upstream said: token=sk_live_do_not_export';

class DeniedError extends Error {
  readonly code = 'denied';
}

afterEach(() => {
  // Whatever a test did, leave the global API with its no-op defaults.
  trace.disable();
});

describe('startTracing', () => {
  it('is disabled without an OTLP endpoint and leaves the no-op tracer in place', async () => {
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
    try {
      const tracing = startTracing({ serviceName: 'briefcased', env: {} }); // process.env is not read
      expect(tracing.enabled).toBe(false);
      const span = getTracer('test').startSpan('noop');
      expect(span.isRecording()).toBe(false);
      span.end();
      await tracing.shutdown();
      expect(
        startTracing({
          serviceName: 'x',
          env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' },
        }).enabled,
      ).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    }
  });

  it('derives the traces URL like the OTLP spec and rejects bad URLs without echoing them', () => {
    expect(tracesEndpoint({})).toBeUndefined();
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe('http://c:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base/' })).toBe(
      'http://c:4318/base/v1/traces',
    );
    expect(
      tracesEndpoint({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t/x',
      }),
    ).toBe('https://t/x');
    for (const bad of ['not a url hunter2', 'file:///etc/passwd']) {
      expect(() => startTracing({ serviceName: 's', env: { OTEL_EXPORTER_OTLP_ENDPOINT: bad } })).toThrow(
        expect.objectContaining({ code: 'invalid_args', message: expect.not.stringContaining(bad) }),
      );
    }
  });

  it('exports spans end to end to a real OTLP/HTTP receiver, without error messages', async () => {
    const { server, endpoint, received } = await startReceiver();
    try {
      const tracing = startTracing({
        serviceName: 'briefcased-test',
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=abc%20def',
        },
      });
      expect(tracing.enabled).toBe(true);
      const tracer = getTracer('briefcase.test');

      const asyncResult = await withSpan(
        tracer,
        'briefcase.call',
        { [SAFE_SPAN_ATTRIBUTES.tool]: 'echo' },
        async (span) => {
          expect(span.isRecording()).toBe(true);
          // The span is active: a nested span becomes its child.
          return withSpan(tracer, 'briefcase.policy', { [SAFE_SPAN_ATTRIBUTES.decision]: 'allow' }, () => 42);
        },
      );
      expect(asyncResult).toBe(42);
      await expect(
        withSpan(tracer, 'briefcase.denied', {}, async () => {
          throw new DeniedError(SECRET_MESSAGE);
        }),
      ).rejects.toThrow(DeniedError);
      expect(() =>
        withSpan(tracer, 'briefcase.crashed', {}, () => {
          throw new TypeError(SECRET_MESSAGE);
        }),
      ).toThrow(TypeError);

      await tracing.shutdown(); // flushes the batch processor
      await tracing.shutdown(); // idempotent

      expect(received.length).toBeGreaterThan(0);
      const body = Buffer.concat(received.map((r) => r.body)).toString('utf8');
      expect(received[0]).toMatchObject({ method: 'POST', url: '/v1/traces' });
      // exporter-trace-otlp-http 0.223 sends OTLP/JSON (not protobuf).
      expect(received[0]?.contentType).toContain('application/json');
      expect(received[0]?.headers['x-collector-key']).toBe('abc def');
      for (const name of [
        'briefcase.call',
        'briefcase.policy',
        'briefcase.denied',
        'briefcase.crashed',
        'briefcased-test',
      ]) {
        expect(body).toContain(name);
      }
      expect(body).not.toContain('sk_live_do_not_export');
      expect(body).not.toContain('upstream said');

      type OtlpSpan = {
        name: string;
        spanId: string;
        parentSpanId?: string;
        status?: { code?: number; message?: string };
        events?: unknown[];
        attributes?: Array<{ key: string; value: { stringValue?: string } }>;
      };
      const spans: OtlpSpan[] = received.flatMap((r) =>
        JSON.parse(r.body.toString('utf8')).resourceSpans.flatMap(
          (rs: { scopeSpans: Array<{ spans: OtlpSpan[] }> }) => rs.scopeSpans.flatMap((ss) => ss.spans),
        ),
      );
      const byName = new Map(spans.map((s) => [s.name, s]));
      expect(byName.get('briefcase.policy')?.parentSpanId).toBe(byName.get('briefcase.call')?.spanId);
      expect(byName.get('briefcase.call')?.attributes).toContainEqual({
        key: 'briefcase.tool',
        value: { stringValue: 'echo' },
      });
      expect(byName.get('briefcase.denied')).toMatchObject({ status: { code: 2, message: 'denied' } });
      expect(byName.get('briefcase.denied')?.attributes).toContainEqual({
        key: 'error.type',
        value: { stringValue: 'denied' },
      });
      expect(byName.get('briefcase.crashed')).toMatchObject({ status: { code: 2, message: 'TypeError' } });
      expect(byName.get('briefcase.crashed')?.events ?? []).toEqual([]);

      // After shutdown the global provider is gone: spans are no-ops again.
      expect(getTracer('after').startSpan('x').isRecording()).toBe(false);
    } finally {
      server.close();
    }
  });

  it('sends configured OTLP headers, and a failed final flush is a clear upstream_error', async () => {
    const { server, endpoint, received } = await startReceiver();
    const tracing = startTracing({
      serviceName: 's',
      env: {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/custom/path`,
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-key=v%201',
      },
    });
    withSpan(getTracer('t'), 'one', {}, () => undefined);
    await tracing.shutdown();
    server.close();
    expect(received[0]?.url).toBe('/custom/path');
    expect(received[0]?.headers['x-key']).toBe('v 1');

    const closed = await startReceiver();
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const failing = startTracing({
      serviceName: 's',
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: closed.endpoint, OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
    });
    withSpan(getTracer('t'), 'lost', {}, () => undefined);
    await expect(failing.shutdown()).rejects.toMatchObject({ code: 'upstream_error' });
    expect(getTracer('after').startSpan('x').isRecording()).toBe(false);
  });
});

describe('withSpan without tracing', () => {
  const tracer = getTracer('noop');

  it('returns sync and async results and rethrows errors unchanged', async () => {
    expect(withSpan(tracer, 'a', {}, () => 'sync')).toBe('sync');
    await expect(withSpan(tracer, 'b', {}, async () => 'async')).resolves.toBe('async');
    const error = new DeniedError('x');
    await expect(
      withSpan(tracer, 'c', {}, async () => {
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it('errorType keeps only a safe code or name', () => {
    expect(errorType(new DeniedError('secret'))).toBe('denied');
    expect(errorType(Object.assign(new Error('m'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorType(new RangeError('m'))).toBe('RangeError');
    expect(errorType(Object.assign(new Error('m'), { code: 'has spaces and secrets' }))).toBe('Error');
    expect(errorType('a string')).toBe('Error');
    expect(errorType(null)).toBe('Error');
  });
});
