import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { ContractCheck, Static, TSchema } from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import { DaemonUnavailableError } from './errors.js';
import { type Endpoint, errorFromBody, isSuccess, type RawRequest, readBody, send } from './transport.js';

/** Which token the client presents: admin (CLI, UI) or agent (the MCP gateway). */
export type ClientRole = 'admin' | 'agent';

/** A request as the resource modules describe it; the token is added here. */
export type DaemonRequest = Omit<RawRequest, 'token'>;

/**
 * What every resource module of the client uses to talk to the daemon: authenticated requests,
 * JSON bodies checked against the contract, and the limits the caller chose.
 */
export interface DaemonHttp {
  readonly endpoint: Endpoint;
  readonly maxResponseBytes: number;
  readonly maxLineBytes: number;
  /** Sends `req` and returns the response head of a 2xx; any other status throws its BriefcaseError. */
  open(req: DaemonRequest, auth?: boolean): Promise<IncomingMessage>;
  /** Sends `req` and returns its JSON body, which must match `check` (the route's response schema). */
  json<T extends TSchema>(req: DaemonRequest, check: ContractCheck<T>, auth?: boolean): Promise<Static<T>>;
  /** Sends `req` and reads (and drops) the body of its 2xx answer, e.g. a 204. */
  noContent(req: DaemonRequest): Promise<void>;
  /** Opens a `text/event-stream` response; undefined when `signal` aborted before it opened. */
  openEventStream(req: DaemonRequest): Promise<IncomingMessage | undefined>;
}

/** The error for a 2xx answer that breaks the contract: the daemon (or whatever answered) is not well. */
export function unexpected(route: string, what: string): BriefcaseError {
  return new BriefcaseError(
    'internal_error',
    `briefcased answered ${route} with an unexpected body (${what})`,
  );
}

/** Encodes one path segment, refusing an empty one (it would address another route). */
export function pathSegment(value: string, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new BriefcaseError('invalid_args', `${what} must be a non-empty string`);
  return encodeURIComponent(value);
}

const MAX_TOKEN_FILE_BYTES = 4096;
// Printable ASCII without spaces: anything else in an Authorization header is either
// corruption or header injection (RFC 9110 §5.5 forbids CR/LF in field values).
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** Where the token comes from and who presents it. */
export interface TokenSource {
  dataDir: string;
  role: ClientRole;
  /** Use this token instead of reading the token file. */
  token?: string | undefined;
}

/**
 * Reads the token on each request (cheap, and picks up a token rotated by a daemon restart); a
 * missing token file means the daemon never ran with this data dir. Errors name the file, never
 * its content.
 */
export function loadToken({ dataDir, role, token: given }: TokenSource): string {
  const tokenPath = join(dataDir, `${role}.token`);
  let text: string;
  if (given !== undefined) {
    text = given;
  } else {
    try {
      text = readFileSync(tokenPath, 'utf8'); // sync on purpose: ~6 µs, where fs/promises costs ~0.2 ms per call
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new DaemonUnavailableError(
          'token_missing',
          `no ${role} token at ${tokenPath}: briefcased has not been started with data dir ${dataDir}`,
          dataDir,
        );
      }
      if (code === 'EACCES' || code === 'EPERM') {
        throw new DaemonUnavailableError(
          'permission',
          `cannot read ${tokenPath}: permission denied (briefcased may run as another user)`,
          dataDir,
        );
      }
      throw new BriefcaseError(
        'internal_error',
        `cannot read ${tokenPath}: ${String(code ?? 'unknown error')}`,
      );
    }
  }
  const token = text.trim();
  if (token.length === 0 || token.length > MAX_TOKEN_FILE_BYTES || !TOKEN_PATTERN.test(token)) {
    const source = given !== undefined ? 'the token given to the client' : `the token file ${tokenPath}`;
    throw new BriefcaseError('unauthorized', `${source} is empty or malformed`);
  }
  return token;
}

/** Builds the {@link DaemonHttp} of one client. */
export function createDaemonHttp(options: {
  endpoint: Endpoint;
  tokens: TokenSource;
  maxResponseBytes: number;
  maxLineBytes: number;
}): DaemonHttp {
  const { endpoint, tokens, maxResponseBytes, maxLineBytes } = options;

  const open = async (req: DaemonRequest, auth = true): Promise<IncomingMessage> => {
    const res = await send(endpoint, auth ? { ...req, token: loadToken(tokens) } : req);
    if (!isSuccess(res)) {
      const body = await readBody(res, maxResponseBytes, endpoint);
      throw errorFromBody(res.statusCode ?? 0, body);
    }
    return res;
  };

  return {
    endpoint,
    maxResponseBytes,
    maxLineBytes,
    open,

    async json(req, check, auth = true) {
      const route = `${req.method} ${req.path}`;
      const body = await readBody(await open(req, auth), maxResponseBytes, endpoint);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw unexpected(route, 'not JSON');
      }
      if (!check(parsed)) throw unexpected(route, check.firstError(parsed));
      return parsed;
    },

    async noContent(req) {
      // Nothing to parse, but read it so the connection ends cleanly (and can be reused).
      await readBody(await open(req), maxResponseBytes, endpoint);
    },

    async openEventStream(req) {
      if (req.signal?.aborted) return undefined;
      let res: IncomingMessage;
      try {
        res = await open({ ...req, accept: 'text/event-stream' });
      } catch (error) {
        if (req.signal?.aborted) return undefined;
        throw error;
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!contentType.startsWith('text/event-stream')) {
        res.destroy();
        throw unexpected(`${req.method} ${req.path}`, `content-type ${contentType || 'missing'}`);
      }
      return res;
    },
  };
}
