import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { type Approval, BriefcaseError, isRecord } from '@briefcase/core';
import { resolveDataDir, socketPathFor } from './data-dir.js';
import { DaemonUnavailableError } from './errors.js';
import { createLineSplitter } from './lines.js';
import { createSseParser } from './sse.js';
import { type TraceContextHeaders, traceContextFromMeta } from './trace-context.js';
import {
  type Endpoint,
  errorFromBody,
  isSuccess,
  mapTransportError,
  type RawRequest,
  readBody,
  send,
} from './transport.js';
import type {
  AddMcpServerInput,
  ApprovalEventType,
  ApprovalListState,
  ApprovalWatchEvent,
  BudgetCaps,
  BudgetView,
  CallToolRequest,
  CallToolResponse,
  ChannelAnswer,
  ChannelCapabilities,
  ChannelEvent,
  HealthView,
  KeyView,
  ListReceiptsOptions,
  McpLogin,
  McpLoginInput,
  McpLogoutResult,
  McpRefreshResult,
  McpReviewResult,
  McpServerView,
  McpToolView,
  PolicyValidation,
  PolicyView,
  PublicJwkView,
  Receipt,
  ReceiptHeadView,
  ReceiptVerification,
  RelayMethod,
  StatusView,
  ToolView,
} from './types.js';

/** Which token the client presents: admin (CLI, UI) or agent (the MCP gateway). */
export type ClientRole = 'admin' | 'agent';

/** Options for {@link createClient}. */
export interface ClientOptions {
  /** Defaults to {@link resolveDataDir}(). */
  dataDir?: string;
  /** Selects `<dataDir>/<role>.token`; default `admin`. */
  role?: ClientRole;
  /** Use this token instead of reading the token file. */
  token?: string;
  /** Defaults to `<dataDir>/briefcased.sock`. */
  socketPath?: string;
  /** Cap on a JSON response body (default 16 MiB). */
  maxResponseBytes?: number;
  /** Cap on one NDJSON or SSE line (default 1 MiB). */
  maxLineBytes?: number;
}

/** Per-request options. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** Options of {@link BriefcaseClient.exportReceipts} and {@link BriefcaseClient.exportReceiptLines}. */
export interface ExportReceiptsOptions extends RequestOptions {
  /** Only receipts with seq up to this one (e.g. the seq of a signed head). */
  through?: number;
}

/**
 * Options of {@link BriefcaseClient.callTool}: W3C trace context to continue in the daemon, sent as
 * the `traceparent` / `tracestate` headers. Values that are not well formed are not sent (see
 * {@link isValidTraceparent}), as a trace-context receiver would ignore them anyway.
 */
export interface CallToolOptions extends RequestOptions, TraceContextHeaders {}

/** Options of {@link BriefcaseClient.relay}. */
export interface RelayOptions extends CallToolOptions {
  /** The agent session's channel, for progress and subscriptions. */
  channel?: string;
  /** The caller's reference for this request: its `progress` and `end` channel events carry it. */
  ref?: string;
  /** Ask the remote server for progress. */
  progress?: boolean;
}

/** A typed client for every route of the briefcased local API (v1). */
export interface BriefcaseClient {
  readonly dataDir: string;
  readonly socketPath: string;
  health(options?: RequestOptions): Promise<HealthView>;
  status(options?: RequestOptions): Promise<StatusView>;
  listTools(options?: RequestOptions): Promise<ToolView[]>;
  /** Throws BriefcaseError (`approval_required` carries `approvalId`) when the call does not run. */
  callTool(call: CallToolRequest, options?: CallToolOptions): Promise<CallToolResponse>;
  listApprovals(state?: ApprovalListState, options?: RequestOptions): Promise<Approval[]>;
  getApproval(id: string, options?: RequestOptions): Promise<Approval>;
  approve(id: string, options?: RequestOptions): Promise<Approval>;
  deny(id: string, reason?: string, options?: RequestOptions): Promise<Approval>;
  /**
   * Streams approval events (a snapshot first) to `onEvent`, awaiting it before reading further.
   * Resolves when `signal` aborts or the daemon ends the stream.
   */
  watchApprovals(
    onEvent: (event: ApprovalWatchEvent) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<void>;
  listReceipts(options?: ListReceiptsOptions & RequestOptions): Promise<Receipt[]>;
  /**
   * Walks the chain. With `expectedHead` (a `{seq, hash}` recorded earlier) it also detects that
   * receipts after that point were deleted, which a hash chain alone cannot show.
   */
  verifyReceipts(
    options?: RequestOptions & { expectedHead?: { seq: number; hash: string } },
  ): Promise<ReceiptVerification>;
  /** All receipts (up to seq `through`, when given), ascending seq, parsed one NDJSON line at a time. */
  exportReceipts(options?: ExportReceiptsOptions): AsyncIterable<Receipt>;
  /** The export's raw NDJSON lines (each checked to be a receipt object), byte-for-byte as sent. */
  exportReceiptLines(options?: ExportReceiptsOptions): AsyncIterable<string>;
  /**
   * The chain head signed with the receipts key (created on first use) and the public key that
   * verifies it. Export with `through: head.seq` to get exactly the receipts the head covers.
   */
  receiptHead(options?: RequestOptions): Promise<ReceiptHeadView>;
  /** Keys in custody (public info only), active first, then newest first. */
  listKeys(options?: RequestOptions): Promise<KeyView[]>;
  /**
   * Makes a new key the active one for `purpose` (`dpop`, `receipts`, `identity`); the old one
   * stays listed. Without `algorithm` (`EdDSA` or `ES256`) the current key's is kept.
   */
  rotateKey(purpose: string, options?: RequestOptions & { algorithm?: string }): Promise<KeyView>;
  listBudgets(options?: RequestOptions): Promise<BudgetView[]>;
  setBudget(category: string, caps: BudgetCaps, options?: RequestOptions): Promise<BudgetView>;
  getPolicy(options?: RequestOptions): Promise<PolicyView>;
  validatePolicy(text: string, options?: RequestOptions): Promise<PolicyValidation>;
  /** Throws BriefcaseError `invalid_args` with `details.errors` when the policy does not validate. */
  setPolicy(text: string, options?: RequestOptions): Promise<PolicyView>;
  /** Registered remote MCP servers with the review state of their tools. */
  listMcpServers(options?: RequestOptions): Promise<McpServerView[]>;
  /**
   * Registers a remote MCP server: the daemon connects, lists its tools and pins each definition.
   * `env` values go to the daemon's secret store; the returned view lists their names only.
   */
  addMcpServer(input: AddMcpServerInput, options?: RequestOptions): Promise<McpServerView>;
  /** One server; `not_found` when no server has that name. */
  getMcpServer(name: string, options?: RequestOptions): Promise<McpServerView>;
  /** Removes a server, its pins and its stored environment values. */
  removeMcpServer(name: string, options?: RequestOptions): Promise<void>;
  /** Compares the server's live tools with the pins; changed and new tools are quarantined. */
  refreshMcpServer(name: string, options?: RequestOptions): Promise<McpRefreshResult>;
  /** Accepts every pending (changed or new) tool definition of a server. */
  reviewMcpServer(name: string, options?: RequestOptions): Promise<McpReviewResult>;
  /**
   * Starts an OAuth login for a remote server: returns the authorization URL a person opens; the
   * daemon receives the redirect itself. Follow it with {@link BriefcaseClient.getMcpLogin}.
   */
  startMcpLogin(name: string, input?: McpLoginInput, options?: RequestOptions): Promise<McpLogin>;
  /** A login's state; with `waitMs` (≤ 120000) the daemon waits that long for it to finish. */
  getMcpLogin(id: string, options?: RequestOptions & { waitMs?: number }): Promise<McpLogin>;
  /** Cancels a pending login (its redirect listener closes); a finished one is returned as it is. */
  cancelMcpLogin(id: string, options?: RequestOptions): Promise<McpLogin>;
  /** Revokes (unless `localOnly`) and forgets a remote server's tokens. */
  logoutMcpServer(name: string, options?: RequestOptions & { localOnly?: boolean }): Promise<McpLogoutResult>;
  /**
   * Opens an agent session's channel and delivers its events until `signal` aborts or the daemon
   * closes it; the first event is `{type: "channel", id}`. Resolves when the stream ends.
   */
  openChannel(
    capabilities: ChannelCapabilities,
    onEvent: (event: ChannelEvent) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Answers a `request` event of a channel; `not_found` when it was answered, cancelled or expired. */
  answerChannelRequest(
    channel: string,
    id: string,
    answer: ChannelAnswer,
    options?: RequestOptions,
  ): Promise<void>;
  /** Sends an MCP request other than tools to the remote servers; returns its (redacted) MCP result. */
  relay(
    method: RelayMethod,
    params: Record<string, unknown>,
    options?: RelayOptions,
  ): Promise<Record<string, unknown>>;
}

const CHANNEL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'channel',
  'end',
  'request',
  'cancel',
  'notification',
  'progress',
]);

/** Checks the fields each channel event type must have; unknown types are dropped by the caller. */
function isChannelEvent(value: Record<string, unknown>): boolean {
  const str = (k: string) => typeof value[k] === 'string';
  const obj = (k: string) => isRecord(value[k]);
  switch (value.type) {
    case 'channel':
    case 'cancel':
      return str('id');
    case 'request':
      return str('id') && str('server') && str('method') && obj('params');
    case 'notification':
      return str('server') && str('method') && obj('params');
    case 'progress':
      return str('ref') && typeof value.progress === 'number';
    case 'end':
      return str('ref');
    default:
      return false;
  }
}

const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
const MAX_TOKEN_FILE_BYTES = 4096;
// Printable ASCII without spaces: anything else in an Authorization header is either
// corruption or header injection (RFC 9110 §5.5 forbids CR/LF in field values).
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const APPROVAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'created',
  'approved',
  'denied',
  'expired',
  'consumed',
]);

function isApproval(value: unknown): value is Approval {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.state === 'string' &&
    typeof value.tool === 'string'
  );
}

function isReceipt(value: unknown): value is Receipt {
  return isRecord(value) && Number.isSafeInteger(value.seq) && typeof value.hash === 'string';
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

function isPublicJwk(value: unknown): value is PublicJwkView {
  return (
    isRecord(value) &&
    typeof value.kty === 'string' &&
    typeof value.crv === 'string' &&
    typeof value.x === 'string' &&
    (value.y === undefined || typeof value.y === 'string')
  );
}

function isKey(value: unknown): value is KeyView {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.purpose === 'string' &&
    typeof value.algorithm === 'string' &&
    typeof value.backend === 'string' &&
    typeof value.active === 'boolean' &&
    typeof value.createdAt === 'string' &&
    typeof value.thumbprint === 'string' &&
    isPublicJwk(value.publicJwk)
  );
}

function isMcpTool(value: unknown): value is McpToolView {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.upstreamName === 'string' &&
    typeof value.state === 'string' &&
    typeof value.change === 'string' &&
    typeof value.description === 'string' &&
    isStringArray(value.flags)
  );
}

function isMcpServer(value: unknown): value is McpServerView {
  return (
    isRecord(value) &&
    typeof value.name === 'string' &&
    typeof value.transport === 'string' &&
    (value.url === null || typeof value.url === 'string') &&
    (value.command === null || isStringArray(value.command)) &&
    isStringArray(value.envNames) &&
    typeof value.prefix === 'boolean' &&
    typeof value.trustAnnotations === 'boolean' &&
    Number.isSafeInteger(value.costMicroUsd) &&
    isRecord(value.status) &&
    typeof value.status.connected === 'boolean' &&
    typeof value.status.authorization === 'string' &&
    Array.isArray(value.tools) &&
    value.tools.every(isMcpTool)
  );
}

function isMcpChange(value: unknown): value is { tool: string; change: string } {
  return isRecord(value) && typeof value.tool === 'string' && typeof value.change === 'string';
}

function unexpected(route: string, what: string): BriefcaseError {
  return new BriefcaseError(
    'internal_error',
    `briefcased answered ${route} with an unexpected body (${what})`,
  );
}

function pathSegment(value: string, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new BriefcaseError('invalid_args', `${what} must be a non-empty string`);
  return encodeURIComponent(value);
}

/**
 * Creates a client for the daemon behind `<dataDir>/briefcased.sock`.
 * The token file is read on each request (cheap, and picks up a token rotated by a daemon
 * restart); a missing token file means the daemon never ran with this data dir.
 */
export function createClient(options: ClientOptions = {}): BriefcaseClient {
  const dataDir = options.dataDir ?? resolveDataDir();
  const role: ClientRole = options.role ?? 'admin';
  const endpoint: Endpoint = {
    dataDir,
    socketPath: options.socketPath ?? socketPathFor(dataDir),
  };
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;

  const loadToken = async (): Promise<string> => {
    const tokenPath = join(dataDir, `${role}.token`);
    let text: string;
    if (options.token !== undefined) {
      text = options.token;
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
    // The message names the file, never its content.
    if (token.length === 0 || token.length > MAX_TOKEN_FILE_BYTES || !TOKEN_PATTERN.test(token)) {
      const source =
        options.token !== undefined ? 'the token given to the client' : `the token file ${tokenPath}`;
      throw new BriefcaseError('unauthorized', `${source} is empty or malformed`);
    }
    return token;
  };

  const open = async (req: Omit<RawRequest, 'token'>, auth: boolean): Promise<IncomingMessage> => {
    const token = auth ? await loadToken() : undefined;
    const res = await send(endpoint, token === undefined ? req : { ...req, token });
    if (!isSuccess(res)) {
      const body = await readBody(res, maxResponseBytes, endpoint);
      throw errorFromBody(res.statusCode ?? 0, body);
    }
    return res;
  };

  const json = async (req: Omit<RawRequest, 'token'>, auth = true): Promise<Record<string, unknown>> => {
    const res = await open(req, auth);
    const body = await readBody(res, maxResponseBytes, endpoint);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw unexpected(`${req.method} ${req.path}`, 'not JSON');
    }
    if (!isRecord(parsed)) throw unexpected(`${req.method} ${req.path}`, 'not a JSON object');
    return parsed;
  };

  /** Fetches `key` from a JSON response and checks it with `guard`. */
  const field = async <T>(
    req: Omit<RawRequest, 'token'>,
    key: string,
    guard: (value: unknown) => value is T,
  ): Promise<T> => {
    const body = await json(req);
    const value = body[key];
    if (!guard(value)) throw unexpected(`${req.method} ${req.path}`, `missing or malformed "${key}"`);
    return value;
  };

  const isArrayOf =
    <T>(item: (value: unknown) => value is T) =>
    (value: unknown): value is T[] =>
      Array.isArray(value) && value.every(item);

  async function* exportReceiptLines(opts: ExportReceiptsOptions = {}): AsyncGenerator<string> {
    if (opts.through !== undefined && (!Number.isSafeInteger(opts.through) || opts.through < 0)) {
      throw new BriefcaseError('invalid_args', 'through must be a non-negative integer');
    }
    const path =
      opts.through === undefined ? '/v1/receipts/export' : `/v1/receipts/export?through=${opts.through}`;
    const res = await open(
      { method: 'GET', path, accept: 'application/x-ndjson', signal: opts.signal },
      true,
    );
    const splitter = createLineSplitter({ maxLineBytes, breaks: 'lf' });
    const check = (line: string): string => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw unexpected('GET /v1/receipts/export', 'a line is not JSON');
      }
      if (!isReceipt(parsed)) throw unexpected('GET /v1/receipts/export', 'a line is not a receipt');
      return line;
    };
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) if (line.trim() !== '') yield check(line);
      }
      for (const line of splitter.end()) if (line.trim() !== '') yield check(line);
    } catch (error) {
      throw mapTransportError(error, endpoint);
    } finally {
      // Also runs when the consumer stops early: drop the connection instead of draining it.
      res.destroy();
    }
  }

  return {
    dataDir,
    socketPath: endpoint.socketPath,

    async health(opts = {}) {
      const body = await json({ method: 'GET', path: '/health', signal: opts.signal }, false);
      if (body.status !== 'ok') throw unexpected('GET /health', 'status is not "ok"');
      return body as unknown as HealthView;
    },

    async status(opts = {}) {
      const body = await json({ method: 'GET', path: '/v1/status', signal: opts.signal });
      if (typeof body.version !== 'string') throw unexpected('GET /v1/status', 'missing version');
      return body as unknown as StatusView;
    },

    listTools: (opts = {}) =>
      field(
        { method: 'GET', path: '/v1/tools', signal: opts.signal },
        'tools',
        isArrayOf((t): t is ToolView => isRecord(t) && typeof t.name === 'string'),
      ),

    async callTool(call, opts = {}) {
      const request: Record<string, unknown> = { tool: call.tool, args: call.args ?? {} };
      if (call.approvalId !== undefined) request.approvalId = call.approvalId;
      if (call.waitMs !== undefined) request.waitMs = call.waitMs;
      if (call.channel !== undefined) request.channel = call.channel;
      if (call.ref !== undefined) request.ref = call.ref;
      if (call.progress !== undefined) request.progress = call.progress;
      const headers = traceContextFromMeta(opts);
      const body = await json({
        method: 'POST',
        path: '/v1/tools/call',
        body: request,
        signal: opts.signal,
        headers: headers as Record<string, string>,
      });
      if (!('result' in body) || !isRecord(body.provenance))
        throw unexpected('POST /v1/tools/call', 'missing result or provenance');
      return body as unknown as CallToolResponse;
    },

    listApprovals: (state = 'pending', opts = {}) =>
      field(
        { method: 'GET', path: `/v1/approvals?state=${encodeURIComponent(state)}`, signal: opts.signal },
        'approvals',
        isArrayOf(isApproval),
      ),

    getApproval: async (id, opts = {}) =>
      field(
        { method: 'GET', path: `/v1/approvals/${pathSegment(id, 'approval id')}`, signal: opts.signal },
        'approval',
        isApproval,
      ),

    approve: async (id, opts = {}) =>
      field(
        {
          method: 'POST',
          path: `/v1/approvals/${pathSegment(id, 'approval id')}/approve`,
          body: {},
          signal: opts.signal,
        },
        'approval',
        isApproval,
      ),

    deny: async (id, reason, opts = {}) =>
      field(
        {
          method: 'POST',
          path: `/v1/approvals/${pathSegment(id, 'approval id')}/deny`,
          body: reason === undefined ? {} : { reason },
          signal: opts.signal,
        },
        'approval',
        isApproval,
      ),

    async watchApprovals(onEvent, signal) {
      if (signal?.aborted) return;
      const route = 'GET /v1/approvals/stream';
      let res: IncomingMessage;
      try {
        res = await open(
          { method: 'GET', path: '/v1/approvals/stream', accept: 'text/event-stream', signal },
          true,
        );
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!contentType.startsWith('text/event-stream')) {
        res.destroy();
        throw unexpected(route, `content-type ${contentType || 'missing'}`);
      }
      const parser = createSseParser({ maxLineBytes, maxEventChars: maxResponseBytes });
      const dispatch = async (name: string, data: string): Promise<void> => {
        if (name !== 'snapshot' && name !== 'approval') return; // future event kinds: ignore
        let payload: unknown;
        try {
          payload = JSON.parse(data);
        } catch {
          throw unexpected(route, `${name} event data is not JSON`);
        }
        if (!isRecord(payload)) throw unexpected(route, `${name} event data is not an object`);
        if (name === 'snapshot') {
          if (!isArrayOf(isApproval)(payload.approvals)) throw unexpected(route, 'malformed snapshot');
          await onEvent({ event: 'snapshot', approvals: payload.approvals });
          return;
        }
        if (
          typeof payload.type !== 'string' ||
          !APPROVAL_EVENT_TYPES.has(payload.type) ||
          !isApproval(payload.approval)
        ) {
          throw unexpected(route, 'malformed approval event');
        }
        await onEvent({
          event: 'approval',
          type: payload.type as ApprovalEventType,
          approval: payload.approval,
        });
      };
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          for (const event of parser.push(chunk)) {
            await dispatch(event.event, event.data);
            if (signal?.aborted) return;
          }
        }
        for (const event of parser.end()) await dispatch(event.event, event.data);
      } catch (error) {
        if (signal?.aborted) return;
        throw mapTransportError(error, endpoint);
      } finally {
        res.destroy();
      }
    },

    async openChannel(capabilities, onEvent, signal) {
      if (signal?.aborted) return;
      const asked = (['sampling', 'elicitation', 'roots'] as const).filter((c) => capabilities[c]);
      const path = `/v1/mcp/channel?capabilities=${asked.join(',')}`;
      const route = 'GET /v1/mcp/channel';
      let res: IncomingMessage;
      try {
        res = await open({ method: 'GET', path, accept: 'text/event-stream', signal }, true);
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!contentType.startsWith('text/event-stream')) {
        res.destroy();
        throw unexpected(route, `content-type ${contentType || 'missing'}`);
      }
      const parser = createSseParser({ maxLineBytes, maxEventChars: maxResponseBytes });
      const dispatch = (name: string, data: string) => {
        if (!CHANNEL_EVENT_TYPES.has(name)) return; // future event kinds: ignore
        let payload: unknown;
        try {
          payload = JSON.parse(data);
        } catch {
          throw unexpected(route, `${name} event data is not JSON`);
        }
        if (!isRecord(payload)) throw unexpected(route, `${name} event data is not an object`);
        const event = { ...payload, type: name };
        if (!isChannelEvent(event)) throw unexpected(route, `malformed ${name} event`);
        onEvent(event as ChannelEvent);
      };
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          for (const event of parser.push(chunk)) {
            dispatch(event.event, event.data);
            if (signal?.aborted) return;
          }
        }
        for (const event of parser.end()) dispatch(event.event, event.data);
      } catch (error) {
        if (signal?.aborted) return;
        throw mapTransportError(error, endpoint);
      } finally {
        res.destroy();
      }
    },

    async answerChannelRequest(channel, id, answer, opts = {}) {
      const res = await open(
        {
          method: 'POST',
          path: `/v1/mcp/channel/${pathSegment(channel, 'channel id')}/answers/${pathSegment(id, 'request id')}`,
          body: answer,
          signal: opts.signal,
        },
        true,
      );
      await readBody(res, maxResponseBytes, endpoint); // 204
    },

    async relay(method, params, opts = {}) {
      const request: Record<string, unknown> = { method, params };
      if (opts.channel !== undefined) request.channel = opts.channel;
      if (opts.ref !== undefined) request.ref = opts.ref;
      if (opts.progress !== undefined) request.progress = opts.progress;
      const headers = traceContextFromMeta(opts);
      return field(
        {
          method: 'POST',
          path: '/v1/mcp/relay',
          body: request,
          signal: opts.signal,
          headers: headers as Record<string, string>,
        },
        'result',
        isRecord,
      );
    },

    listReceipts(opts = {}) {
      const query = new URLSearchParams();
      if (opts.limit !== undefined) query.set('limit', String(opts.limit));
      if (opts.before !== undefined) query.set('before', String(opts.before));
      if (opts.kind !== undefined) query.set('kind', opts.kind);
      const qs = query.toString();
      return field(
        { method: 'GET', path: qs === '' ? '/v1/receipts' : `/v1/receipts?${qs}`, signal: opts.signal },
        'receipts',
        isArrayOf(isReceipt),
      );
    },

    async verifyReceipts(opts = {}) {
      const body = await json({
        method: 'POST',
        path: '/v1/receipts/verify',
        body: opts.expectedHead ? { expectedHead: opts.expectedHead } : {},
        signal: opts.signal,
      });
      if (typeof body.ok !== 'boolean' || typeof body.count !== 'number') {
        throw unexpected('POST /v1/receipts/verify', 'missing ok or count');
      }
      return body as unknown as ReceiptVerification;
    },

    async *exportReceipts(opts = {}) {
      for await (const line of exportReceiptLines(opts)) yield JSON.parse(line) as Receipt;
    },

    exportReceiptLines,

    async receiptHead(opts = {}) {
      const body = await json({ method: 'GET', path: '/v1/receipts/head', signal: opts.signal });
      if (
        !Number.isSafeInteger(body.seq) ||
        typeof body.hash !== 'string' ||
        typeof body.signedHead !== 'string' ||
        typeof body.thumbprint !== 'string' ||
        !isPublicJwk(body.key)
      ) {
        throw unexpected('GET /v1/receipts/head', 'missing seq, hash, signedHead, thumbprint or key');
      }
      return body as unknown as ReceiptHeadView;
    },

    listKeys: (opts = {}) =>
      field({ method: 'GET', path: '/v1/keys', signal: opts.signal }, 'keys', isArrayOf(isKey)),

    rotateKey: (purpose, opts = {}) =>
      field(
        {
          method: 'POST',
          path: `/v1/keys/${pathSegment(purpose, 'purpose')}/rotate`,
          body: opts.algorithm === undefined ? {} : { algorithm: opts.algorithm },
          signal: opts.signal,
        },
        'key',
        isKey,
      ),

    listBudgets: (opts = {}) =>
      field(
        { method: 'GET', path: '/v1/budgets', signal: opts.signal },
        'budgets',
        isArrayOf((b): b is BudgetView => isRecord(b) && typeof b.category === 'string'),
      ),

    setBudget: (category, caps, opts = {}) =>
      field(
        {
          method: 'PUT',
          path: `/v1/budgets/${pathSegment(category, 'category')}`,
          body: caps,
          signal: opts.signal,
        },
        'budget',
        (b): b is BudgetView => isRecord(b) && typeof b.category === 'string',
      ),

    async getPolicy(opts = {}) {
      const body = await json({ method: 'GET', path: '/v1/policy', signal: opts.signal });
      if (typeof body.text !== 'string') throw unexpected('GET /v1/policy', 'missing text');
      return body as unknown as PolicyView;
    },

    async validatePolicy(text, opts = {}) {
      const body = await json({
        method: 'POST',
        path: '/v1/policy/validate',
        body: { text },
        signal: opts.signal,
      });
      if (typeof body.ok !== 'boolean') throw unexpected('POST /v1/policy/validate', 'missing ok');
      return body as unknown as PolicyValidation;
    },

    async setPolicy(text, opts = {}) {
      const body = await json({ method: 'PUT', path: '/v1/policy', body: { text }, signal: opts.signal });
      if (typeof body.text !== 'string') throw unexpected('PUT /v1/policy', 'missing text');
      return body as unknown as PolicyView;
    },

    listMcpServers: (opts = {}) =>
      field(
        { method: 'GET', path: '/v1/mcp/servers', signal: opts.signal },
        'servers',
        isArrayOf(isMcpServer),
      ),

    addMcpServer: (input, opts = {}) =>
      field(
        { method: 'POST', path: '/v1/mcp/servers', body: input, signal: opts.signal },
        'server',
        isMcpServer,
      ),

    getMcpServer: async (name, opts = {}) =>
      field(
        { method: 'GET', path: `/v1/mcp/servers/${pathSegment(name, 'server name')}`, signal: opts.signal },
        'server',
        isMcpServer,
      ),

    async removeMcpServer(name, opts = {}) {
      const res = await open(
        {
          method: 'DELETE',
          path: `/v1/mcp/servers/${pathSegment(name, 'server name')}`,
          signal: opts.signal,
        },
        true,
      );
      // 204: nothing to parse, but read it so the connection ends cleanly.
      await readBody(res, maxResponseBytes, endpoint);
    },

    async refreshMcpServer(name, opts = {}) {
      const path = `/v1/mcp/servers/${pathSegment(name, 'server name')}/refresh`;
      const body = await json({ method: 'POST', path, body: {}, signal: opts.signal });
      if (!isMcpServer(body.server) || !isArrayOf(isMcpChange)(body.changes))
        throw unexpected(`POST ${path}`, 'missing or malformed server or changes');
      return { server: body.server, changes: body.changes };
    },

    async reviewMcpServer(name, opts = {}) {
      const path = `/v1/mcp/servers/${pathSegment(name, 'server name')}/review`;
      const body = await json({ method: 'POST', path, body: {}, signal: opts.signal });
      if (!isMcpServer(body.server) || !isStringArray(body.accepted))
        throw unexpected(`POST ${path}`, 'missing or malformed server or accepted');
      return { server: body.server, accepted: body.accepted };
    },

    startMcpLogin: (name, input = {}, opts = {}) =>
      field(
        {
          method: 'POST',
          path: `/v1/mcp/servers/${pathSegment(name, 'server name')}/login`,
          body: input,
          signal: opts.signal,
        },
        'login',
        isLogin,
      ),

    getMcpLogin: (id, opts = {}) =>
      field(
        {
          method: 'GET',
          path: `/v1/mcp/logins/${pathSegment(id, 'login id')}${opts.waitMs === undefined ? '' : `?waitMs=${Math.trunc(opts.waitMs)}`}`,
          signal: opts.signal,
        },
        'login',
        isLogin,
      ),

    cancelMcpLogin: (id, opts = {}) =>
      field(
        { method: 'DELETE', path: `/v1/mcp/logins/${pathSegment(id, 'login id')}`, signal: opts.signal },
        'login',
        isLogin,
      ),

    async logoutMcpServer(name, opts = {}) {
      const path = `/v1/mcp/servers/${pathSegment(name, 'server name')}/logout`;
      const body = await json({
        method: 'POST',
        path,
        body: opts.localOnly ? { localOnly: true } : {},
        signal: opts.signal,
      });
      const revoked = body.revoked;
      if (
        !isRecord(revoked) ||
        typeof revoked.refreshToken !== 'boolean' ||
        typeof revoked.accessToken !== 'boolean'
      ) {
        throw unexpected(`POST ${path}`, 'missing or malformed revoked');
      }
      return { revoked: { refreshToken: revoked.refreshToken, accessToken: revoked.accessToken } };
    },
  };
}

function isLogin(value: unknown): value is McpLogin {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.server === 'string' &&
    (value.state === 'pending' || value.state === 'authorized' || value.state === 'failed') &&
    typeof value.expiresAt === 'string'
  );
}
