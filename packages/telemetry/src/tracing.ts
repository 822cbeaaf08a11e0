import { BriefcaseError } from '@briefcase/core';
import {
  type Attributes,
  context,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
} from '@opentelemetry/semantic-conventions';

/**
 * The span attribute names briefcase code sets. Span attributes carry the tool, the decision and
 * timings, NEVER tool arguments, results, tokens or any other secret: traces leave the trust
 * boundary (they go to whatever collector `OTEL_EXPORTER_OTLP_ENDPOINT` names).
 */
export const SAFE_SPAN_ATTRIBUTES = {
  /** Tool name, e.g. `github.create_issue`. */
  tool: 'briefcase.tool',
  /** Decision kind (allow, deny, approval_required...). */
  decision: 'briefcase.decision',
  /** Pipeline stage that decided (schema, policy, budget, risk...). */
  decisionStage: 'briefcase.decision.stage',
  /** Wall-clock duration of a step, in milliseconds. */
  durationMs: 'briefcase.duration_ms',
  /** Stable error code or error class name (never the message); set by {@link withSpan}. */
  errorType: ATTR_ERROR_TYPE,
} as const;

/** Options for {@link startTracing}. */
export interface StartTracingOptions {
  /** `service.name` resource attribute. */
  serviceName: string;
  /** `service.version` resource attribute, if known. */
  serviceVersion?: string;
  /** Environment to read; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Handle returned by {@link startTracing}. */
export interface TracingHandle {
  /** True when spans are exported; false when the no-op tracer is in place. */
  readonly enabled: boolean;
  /**
   * Flushes pending spans, shuts the exporter down and unregisters the global provider.
   * Idempotent. Rejects with `upstream_error` when the final flush fails (globals are still
   * unregistered), so a caller at exit can log it and carry on.
   */
  shutdown(): Promise<void>;
}

let tracingActive = false;

/** Key=value,key=value as in the OTLP exporter spec; values are URL-decoded. */
function parseHeaders(raw: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const name = pair.slice(0, at).trim();
    try {
      headers[name] = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      headers[name] = pair.slice(at + 1).trim();
    }
  }
  return headers;
}

function httpUrl(raw: string, variable: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    // The value is not echoed: endpoint URLs sometimes embed credentials.
    throw new BriefcaseError(
      'invalid_args',
      `${variable} is not a valid http(s) URL; tracing was not started.`,
    );
  }
  return url;
}

/**
 * The OTLP/HTTP traces URL, following the exporter spec: the signal-specific variable is used
 * as-is; the generic one gets `v1/traces` appended. Undefined when neither is set.
 */
export function tracesEndpoint(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return httpUrl(specific, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT').href;
  const generic = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!generic) return undefined;
  const base = httpUrl(generic, 'OTEL_EXPORTER_OTLP_ENDPOINT').href;
  return `${base.endsWith('/') ? base : `${base}/`}v1/traces`;
}

/**
 * Starts exporting traces over OTLP/HTTP (JSON) when `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set in `env` (and `OTEL_SDK_DISABLED` is not `true`);
 * otherwise installs nothing and the @opentelemetry/api no-op tracer stays in place.
 *
 * Endpoint, headers (`OTEL_EXPORTER_OTLP[_TRACES]_HEADERS`) and timeout
 * (`OTEL_EXPORTER_OTLP[_TRACES]_TIMEOUT`, ms) are taken from `env`. Other exporter settings
 * (compression, certificates, sampler) are read by the OpenTelemetry SDK itself from `process.env`. One active tracing setup per process.
 */
export function startTracing(options: StartTracingOptions): TracingHandle {
  const env = options.env ?? process.env;
  const url = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' ? undefined : tracesEndpoint(env);
  if (url === undefined) return { enabled: false, shutdown: async () => undefined };
  if (tracingActive) {
    throw new BriefcaseError(
      'internal_error',
      'Tracing is already started in this process; shut it down first.',
    );
  }

  const timeout = Number(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const exporter = new OTLPTraceExporter({
    url,
    ...(Number.isInteger(timeout) && timeout > 0 ? { timeoutMillis: timeout } : {}),
    headers: {
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
  });
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: options.serviceName,
    ...(options.serviceVersion === undefined ? {} : { [ATTR_SERVICE_VERSION]: options.serviceVersion }),
  });
  // SDK 2.x: span processors are given to the constructor (addSpanProcessor is gone).
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  tracingActive = true;

  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown() {
      stopping ??= (async () => {
        try {
          await provider.shutdown(); // flushes the batch processor, then the exporter
        } catch (error) {
          throw new BriefcaseError(
            'upstream_error',
            `Flushing traces to the OTLP endpoint failed (${errorType(error)}); pending spans were dropped.`,
            { cause: error },
          );
        } finally {
          trace.disable();
          context.disable();
          propagation.disable();
          tracingActive = false;
        }
      })();
      return stopping;
    },
  };
}

/** A tracer from the global provider (the no-op tracer unless {@link startTracing} enabled export). */
export function getTracer(name: string, version?: string): Tracer {
  return trace.getTracer(name, version);
}

const SAFE_ERROR_TYPE = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/**
 * The error's stable code (e.g. BriefcaseError `denied`, errno `ENOENT`) or class name.
 * Never the message: messages may quote input or upstream responses.
 */
export function errorType(error: unknown): string {
  const { code, name } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    name?: unknown;
  };
  if (typeof code === 'string' && SAFE_ERROR_TYPE.test(code)) return code;
  if (typeof name === 'string' && SAFE_ERROR_TYPE.test(name)) return name;
  return 'Error';
}

function markFailed(span: Span, error: unknown): void {
  const type = errorType(error);
  // Not span.recordException(): it would export the message and stack trace.
  span.setAttribute(ATTR_ERROR_TYPE, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}

/**
 * Runs `fn` (sync or async) inside a new active span named `name`, ends the span when `fn`
 * finishes and returns `fn`'s result. A throw or rejection sets status ERROR with only the
 * error's code or class name ({@link errorType}) and is rethrown unchanged.
 *
 * `attributes` must follow {@link SAFE_SPAN_ATTRIBUTES}: tool, decision, timings; never
 * arguments or secrets.
 */
export function withSpan<T>(tracer: Tracer, name: string, attributes: Attributes, fn: (span: Span) => T): T {
  return tracer.startActiveSpan(name, { attributes }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      markFailed(span, error);
      span.end();
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          markFailed(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}
