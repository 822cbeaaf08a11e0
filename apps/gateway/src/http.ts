import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import { isLoopbackHost } from '@briefcase/core';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createGatewayServer, type GatewayServerOptions, logToStderr, settleCalls } from './server.js';

/** Options for {@link startHttpGateway}. */
export interface HttpGatewayOptions extends GatewayServerOptions {
  /** Interface to bind; default `127.0.0.1`. A non-loopback address needs `allowRemote: true`. */
  host?: string;
  /** Default 0 (the OS picks a free port; read it from the returned `url`). */
  port?: number;
  /** The MCP endpoint path; default `/mcp`. */
  path?: string;
  /** The bearer token every request must carry (see `loadOrCreateGatewayToken`). */
  token: string;
  /** Allow binding a non-loopback interface. The token is then all that protects the gateway. */
  allowRemote?: boolean;
  /** Extra `Origin` values accepted besides loopback origins, e.g. `https://inspector.example`. */
  allowedOrigins?: string[];
  /** Extra `Host` names accepted besides loopback names (only useful with `allowRemote`). */
  allowedHosts?: string[];
  /** Most concurrent MCP sessions (default 100). */
  maxSessions?: number;
  /** A session with no request for this long is closed (default 30 min). */
  sessionIdleMs?: number;
  /** Largest accepted POST body in bytes (default 4 MiB). */
  maxBodyBytes?: number;
}

/** A running HTTP gateway. */
export interface HttpGateway {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  /** Number of open MCP sessions. */
  readonly sessionCount: number;
  /** Closes every session and the listener. */
  close(): Promise<void>;
}

interface Session {
  server: Server;
  transport: StreamableHTTPServerTransport;
  lastActive: number;
  /** Requests (and open SSE streams) of this session still being answered; such a session is not idle. */
  inFlight: number;
}

const LOOPBACK_HOSTNAMES = ['localhost', '127.0.0.1', '[::1]'];
/**
 * Longest `close()` waits for the answers of calls stopped by the shutdown to reach their clients.
 * They are written at once (the daemon requests are aborted, not awaited): this only bounds a client
 * that reads too slowly.
 */
const SHUTDOWN_FLUSH_MS = 2_000;
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
const CORS_ALLOW_HEADERS =
  'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID';

function sha256(value: string): Buffer {
  // One-shot hashing (Node 20.12+): no Hash object per request.
  return hash('sha256', value, 'buffer');
}

/** Compares a presented `Authorization` header with the token in constant time (over fixed-size digests). */
function bearerMatcher(token: string): (authorization: string | undefined) => boolean {
  const expected = sha256(token);
  return (authorization) => {
    // RFC 9110 §11.1: the auth scheme is case-insensitive; RFC 6750 §2.1: one space, then the token.
    const match = typeof authorization === 'string' ? /^Bearer +(\S+) *$/i.exec(authorization) : null;
    const presented = sha256(match?.[1] ?? '');
    return timingSafeEqual(expected, presented) && match !== null;
  };
}

function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

type BodyResult = { ok: true; body: Buffer } | { ok: false };

/**
 * Reads a request body, stopping at `maxBytes` (declared or observed). Plain stream events rather
 * than `for await`: an async iterator per request costs more than the rest of this function.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.resolve({ ok: false });
  return new Promise<BodyResult>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (finish: () => void) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      finish();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading; the caller answers 413 and closes the connection.
        req.pause();
        settle(() => resolve({ ok: false }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(() => resolve({ ok: true, body: Buffer.concat(chunks, size) }));
    const onError = (error: Error) => settle(() => reject(error));
    // A client that goes away mid-body ends the stream without 'end'.
    const onClose = () => settle(() => reject(new Error('the request body was cut short')));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Serves the gateway over MCP Streamable HTTP (MCP 2025-11-25, basic/transports): one `Server` and
 * one `StreamableHTTPServerTransport` per session, SSE for responses and notifications, session ids
 * from `randomUUID`. Protocol-version checks and session validation are the SDK transport's.
 *
 * In front of it, on every request: `Host` must name this listener (DNS-rebinding defence),
 * `Origin`, when sent, must be a loopback origin or one of `allowedOrigins` (the transports spec
 * says servers MUST validate it), and `Authorization: Bearer <token>` must match.
 */
export async function startHttpGateway(options: HttpGatewayOptions): Promise<HttpGateway> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const maxSessions = options.maxSessions ?? 100;
  const idleMs = options.sessionIdleMs ?? 30 * 60_000;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.log ?? logToStderr;
  if (!isLoopbackHost(host) && options.allowRemote !== true) {
    throw new Error(
      `refusing to listen on ${host}: the gateway binds loopback only unless allowRemote is set (the bearer token is then its only protection)`,
    );
  }
  if (!path.startsWith('/')) throw new Error(`path must start with "/", got ${JSON.stringify(path)}`);
  if (typeof options.token !== 'string' || options.token.length < 16) {
    throw new Error('the gateway token must be a string of at least 16 characters');
  }
  const authorized = bearerMatcher(options.token);

  const allowedHostnames = new Set(LOOPBACK_HOSTNAMES);
  if (host !== '0.0.0.0' && host !== '::')
    allowedHostnames.add(isIPv6(host) ? `[${host}]` : host.toLowerCase());
  for (const name of options.allowedHosts ?? []) allowedHostnames.add(name.toLowerCase());
  const allowedOrigins = new Set((options.allowedOrigins ?? []).map((o) => new URL(o).origin));
  let boundPort = 0;

  // The Host values seen to be allowed (a Host header is no secret: a plain lookup is fine). Bounded,
  // since each distinct value a client sends could otherwise add an entry.
  const allowedHostValues = new Set<string>();
  const hostAllowed = (value: string | undefined): boolean => {
    if (value === undefined) return false;
    if (allowedHostValues.has(value)) return true;
    const allowed = checkHost(value);
    if (allowed && allowedHostValues.size < 16) allowedHostValues.add(value);
    return allowed;
  };

  const checkHost = (value: string): boolean => {
    let url: URL;
    try {
      url = new URL(`http://${value}`);
    } catch {
      return false;
    }
    if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '') return false;
    return allowedHostnames.has(url.hostname) && Number(url.port || 80) === boundPort;
  };

  const originAllowed = (value: string): boolean => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return false; // includes the opaque origin "null"
    }
    if (allowedOrigins.has(url.origin)) return true;
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTNAMES.includes(url.hostname)
    );
  };

  const sessions = new Map<string, Session>();
  // Aborted by close(): calls in flight are answered `shutting_down` before the sessions close.
  const stop = new AbortController();
  const stopping = options.stopping ? AbortSignal.any([options.stopping, stop.signal]) : stop.signal;
  /** POST responses still being written; close() lets them finish (bounded) before cutting connections. */
  const responding = new Set<Promise<void>>();

  const closeSession = async (session: Session): Promise<void> => {
    try {
      await session.server.close();
    } catch (error) {
      log(`closing a session failed: ${String(error)}`);
    }
  };

  const sweepIdle = (): void => {
    const now = Date.now();
    for (const session of sessions.values()) {
      if (session.inFlight === 0 && now - session.lastActive > idleMs) void closeSession(session);
    }
  };
  const sweepTimer = setInterval(sweepIdle, Math.max(10, Math.min(60_000, Math.floor(idleMs / 2))));
  sweepTimer.unref();

  /** Makes room for one more session: drops expired ones, then the least recently used idle one. */
  const makeRoom = async (): Promise<boolean> => {
    sweepIdle();
    if (sessions.size < maxSessions) return true;
    let oldest: Session | undefined;
    for (const session of sessions.values()) {
      if (session.inFlight === 0 && (oldest === undefined || session.lastActive < oldest.lastActive))
        oldest = session;
    }
    if (oldest === undefined) return false;
    await closeSession(oldest);
    return sessions.size < maxSessions;
  };

  const dispatch = async (session: Session, req: IncomingMessage, res: ServerResponse, body?: unknown) => {
    session.inFlight += 1;
    session.lastActive = Date.now();
    let ended: () => void = () => {};
    if (req.method === 'POST') {
      const done = new Promise<void>((resolve) => {
        ended = resolve;
      });
      responding.add(done);
      void done.then(() => responding.delete(done));
    }
    res.once('close', () => {
      session.inFlight -= 1;
      session.lastActive = Date.now();
      ended();
    });
    await session.transport.handleRequest(req, res, body);
  };

  const newSession = (): Session => {
    const server = createGatewayServer({ ...options, stopping });
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      onsessioninitialized: (id) => {
        sessions.set(id, session);
      },
      maxRequestBodySize: maxBodyBytes,
    });
    // Set before connect(): the SDK chains an existing onclose. Covers DELETE, idle expiry and close().
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
    };
    server.onerror = (error) => log(`session ${transport.sessionId ?? '(new)'}: ${error.message}`);
    const session: Session = { server, transport, lastActive: Date.now(), inFlight: 0 };
    return session;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(header(req, 'host'))) {
      sendJsonRpcError(res, 403, -32000, 'Forbidden: the Host header does not name this gateway');
      return;
    }
    const origin = header(req, 'origin');
    if (origin !== undefined) {
      if (!originAllowed(origin)) {
        sendJsonRpcError(res, 403, -32000, 'Forbidden: Origin not allowed');
        return;
      }
      // Browser-based clients on an allowed origin (e.g. the MCP Inspector) may read responses.
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', 'Mcp-Session-Id, WWW-Authenticate');
    }
    if (req.method === 'OPTIONS') {
      // A CORS preflight never carries credentials (Fetch standard), so it cannot be authenticated.
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': CORS_ALLOW_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    if (!authorized(header(req, 'authorization'))) {
      sendJsonRpcError(res, 401, -32000, 'Unauthorized: send Authorization: Bearer <gateway token>', {
        'www-authenticate': 'Bearer realm="briefcase-gateway"',
      });
      return;
    }
    let pathname: string;
    if (req.url === path) {
      pathname = path; // the usual case, no parsing needed
    } else {
      try {
        pathname = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
      } catch {
        pathname = '';
      }
    }
    if (pathname !== path) {
      sendJsonRpcError(res, 404, -32000, `Not found: the MCP endpoint is ${path}`);
      return;
    }
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      sendJsonRpcError(res, 405, -32000, 'Method not allowed.', { allow: 'GET, POST, DELETE' });
      return;
    }

    let parsed: unknown;
    if (req.method === 'POST') {
      const read = await readBody(req, maxBodyBytes);
      if (!read.ok) {
        res.setHeader('connection', 'close');
        sendJsonRpcError(res, 413, -32000, `Payload too large: the limit is ${maxBodyBytes} bytes`);
        return;
      }
      try {
        parsed = JSON.parse(read.body.toString('utf8'));
      } catch {
        sendJsonRpcError(res, 400, -32700, 'Parse error: Invalid JSON');
        return;
      }
    }

    const sessionId = header(req, 'mcp-session-id');
    if (sessionId !== undefined) {
      const session = sessions.get(sessionId);
      if (session === undefined) {
        // As the SDK answers an unknown session: the client starts a new one (transports spec).
        sendJsonRpcError(res, 404, -32001, 'Session not found');
        return;
      }
      await dispatch(session, req, res, parsed);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(parsed)) {
      sendJsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    if (!(await makeRoom())) {
      sendJsonRpcError(
        res,
        503,
        -32000,
        `Too many sessions (${maxSessions}); close unused ones with DELETE`,
        {
          'retry-after': '5',
        },
      );
      return;
    }
    const session = newSession();
    await session.server.connect(session.transport);
    await dispatch(session, req, res, parsed);
    // An initialize the SDK refused never got a session id: nothing else will close this server.
    if (session.transport.sessionId === undefined) await closeSession(session);
  };

  const httpServer = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`request failed: ${error instanceof Error ? error.message : String(error)}`);
      sendJsonRpcError(res, 500, -32603, 'Internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  boundPort = (httpServer.address() as AddressInfo).port;
  const urlHost = isIPv6(host) ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${boundPort}${path}`,
    get sessionCount() {
      return sessions.size;
    },
    async close() {
      clearInterval(sweepTimer);
      // Answer first, then close: a session closed with a call in flight drops its answer, and the
      // agent would wait for its own timeout instead of hearing that the gateway stopped.
      stop.abort();
      await Promise.all([...sessions.values()].map((session) => settleCalls(session.server)));
      let flushTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(responding),
        new Promise((resolve) => {
          flushTimer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
        }),
      ]);
      clearTimeout(flushTimer);
      await Promise.all([...sessions.values()].map(closeSession));
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    },
  };
}
