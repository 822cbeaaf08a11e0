export { formatLogLine, humanLogStream } from './human-log.js';
export {
  type CreateLoggerOptions,
  createLogger,
  REDACTED,
  REDACTED_LOG_PATHS,
  SECRET_LOG_KEYS,
  scrubSensitive,
} from './logger.js';
export {
  errorType,
  getTracer,
  SAFE_SPAN_ATTRIBUTES,
  type StartTracingOptions,
  startTracing,
  type TracingHandle,
  tracesEndpoint,
  withSpan,
} from './tracing.js';
