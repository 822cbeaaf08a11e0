import type { ClientRequest, IncomingMessage } from 'node:http';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { compileCheck, ErrorBody } from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import { DaemonUnavailableError } from './errors.js';
import type { TraceContextHeaders } from './trace-context.js';

/** Where to connect. */
export interface Endpoint {
  socketPath: string;
  dataDir: string;
}

/** One HTTP exchange over the Unix socket. */
export interface RawRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Bearer token; omitted for unauthenticated routes. Never copied into errors. */
  token?: string;
  /** JSON-serializable request body. */
  body?: unknown;
  accept?: string;
  signal?: AbortSignal | undefined;
  /** Trace context to send as headers (already validated by the caller). */
  headers?: TraceContextHeaders;
}

/** Node error codes that mean "nobody answered on that socket". */
function unavailableFromNodeError(error: unknown, endpoint: Endpoint): Error | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${endpoint.socketPath} (data dir ${endpoint.dataDir})`;
  switch (code) {
    case 'ENOENT':
      return new DaemonUnavailableError(
        'not_running',
        `briefcased is not running: no socket at ${where}`,
        endpoint.dataDir,
        {
          cause: error,
        },
      );
    case 'ECONNREFUSED':
    case 'ENOTSOCK':
      return new DaemonUnavailableError(
        'refused',
        `briefcased is not accepting connections on ${where}; the socket may be left over from a stopped daemon`,
        endpoint.dataDir,
        { cause: error },
      );
    case 'EACCES':
    case 'EPERM':
      return new DaemonUnavailableError(
        'permission',
        `permission denied connecting to ${where}; briefcased may be running as another user`,
        endpoint.dataDir,
        { cause: error },
      );
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new DaemonUnavailableError(
        'connection_lost',
        `the connection to briefcased on ${where} was lost`,
        endpoint.dataDir,
        { cause: error },
      );
    default:
      return undefined;
  }
}

/**
 * Turns a transport-level failure into an error a caller can act on. Abort errors pass through
 * unchanged so callers can tell cancellation from failure.
 */
export function mapTransportError(error: unknown, endpoint: Endpoint): unknown {
  if (error instanceof BriefcaseError || error instanceof DaemonUnavailableError) return error;
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return error;
  const unavailable = unavailableFromNodeError(error, endpoint);
  if (unavailable !== undefined) return unavailable;
  const code = (error as { code?: unknown } | null)?.code;
  const what = typeof code === 'string' ? code : 'unknown transport error';
  return new BriefcaseError('internal_error', `could not talk to briefcased: ${what}`, { cause: error });
}

/**
 * How long an idle connection to the daemon is kept for reuse. It must stay well below the daemon's
 * own keep-alive timeout (`DAEMON_KEEP_ALIVE_TIMEOUT_MS` in briefcased, 72 s), so the client, never the
 * daemon, is the side that closes an idle connection.
 */
export const IDLE_CONNECTION_MS = 4000;

/**
 * Keeps connections to the daemon open between requests: a new Unix-socket connection per request
 * costs a connect, an accept and a teardown in both processes (about 0.3 ms per tool call on a loaded
 * 2-core machine). Idle connections are unref'd (Node's agent does that), so they never keep a
 * short-lived CLI alive, and closed after {@link IDLE_CONNECTION_MS}: since that is much shorter than
 * the daemon's keep-alive timeout, a request is never written into a connection the daemon is closing
 * for idleness. A connection the daemon drops (it stopped) fails the request written into it with
 * `connection_lost`; nothing is ever resent, because a tool call is not safe to repeat.
 */
class DaemonAgent extends Agent {
  constructor() {
    super({ keepAlive: true, maxFreeSockets: 16 });
  }

  // @types/node declares `void`, but Node's agent returns whether the socket may be kept.
  override keepSocketAlive(socket: Duplex): boolean {
    const kept: unknown = super.keepSocketAlive(socket);
    const keep = kept !== false;
    // The agent destroys a free socket whose timeout fires; the timer only runs while it is idle.
    if (keep) (socket as Socket).setTimeout(IDLE_CONNECTION_MS);
    return keep;
  }

  override reuseSocket(socket: Duplex, req: ClientRequest): void {
    (socket as Socket).setTimeout(0); // a request may wait long (approvals): only idleness is timed
    super.reuseSocket(socket, req);
  }
}

const daemonAgent = new DaemonAgent();

/** Sends one request and resolves with the response head; the body is left to the caller. */
export function send(endpoint: Endpoint, req: RawRequest): Promise<IncomingMessage> {
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
  const headers: Record<string, string> = { accept: req.accept ?? 'application/json' };
  if (req.headers?.traceparent !== undefined) headers.traceparent = req.headers.traceparent;
  if (req.headers?.tracestate !== undefined) headers.tracestate = req.headers.tracestate;
  if (req.token !== undefined) headers.authorization = `Bearer ${req.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    let outgoing: ReturnType<typeof request>;
    try {
      outgoing = request({
        socketPath: endpoint.socketPath,
        path: req.path,
        method: req.method,
        headers,
        agent: daemonAgent,
        signal: req.signal,
      });
    } catch (error) {
      reject(mapTransportError(error, endpoint));
      return;
    }
    outgoing.once('response', resolve);
    outgoing.once('error', (error) => reject(mapTransportError(error, endpoint)));
    outgoing.end(payload);
  });
}

/** Reads a whole response body, refusing (and dropping the connection) past `maxBytes`. */
export async function readBody(res: IncomingMessage, maxBytes: number, endpoint: Endpoint): Promise<Buffer> {
  const tooLarge = (): BriefcaseError =>
    new BriefcaseError(
      'internal_error',
      `briefcased sent a response larger than ${maxBytes} bytes; refusing it`,
    );
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy();
        throw tooLarge();
      }
      chunks.push(chunk);
    }
  } catch (error) {
    throw mapTransportError(error, endpoint);
  }
  return Buffer.concat(chunks, size);
}

const errorBody = compileCheck(ErrorBody);

/**
 * Builds the BriefcaseError described by a non-2xx body. The body is checked against the
 * contract's Error schema (`{"error":{code,message,approval_id?,details?}}`, `code` one of the stable
 * codes); anything else becomes `internal_error`, so a confused or hostile peer cannot invent error
 * codes or approval ids.
 */
export function errorFromBody(status: number, body: Buffer): BriefcaseError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!errorBody(parsed)) {
    return new BriefcaseError(
      'internal_error',
      `briefcased answered HTTP ${status} with an unexpected error body`,
    );
  }
  const { error } = parsed;
  const options: { details?: unknown; approvalId?: string } = {};
  if (error.details !== undefined) options.details = error.details;
  if (error.approval_id !== undefined) options.approvalId = error.approval_id;
  return new BriefcaseError(error.code, error.message, options);
}

/** True for 2xx. */
export function isSuccess(res: IncomingMessage): boolean {
  const status = res.statusCode ?? 0;
  return status >= 200 && status < 300;
}
