import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { UpstreamErrorReason } from './errors.js';

/** Called once when the HTTP layer sees something that poisons the whole session. */
export type FatalHook = (reason: UpstreamErrorReason, message: string) => void;

/** Thrown into a response body stream that went past its byte cap. */
export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`response exceeded ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Thrown instead of fetching a URL other than the configured one. */
export class ForeignUrlError extends Error {
  constructor() {
    super('refused a request to a URL other than the configured server URL');
    this.name = 'ForeignUrlError';
  }
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Counts the bytes of one response body. For `application/json` bodies the whole body is one message,
 * so the cap applies to the total. For `text/event-stream` (SSE, long-lived and carrying many
 * messages) the cap applies to each event: the count restarts at every blank line, which ends an
 * event (WHATWG HTML §9.2.6, "Interpreting an event stream"). Returns a function that takes the next
 * chunk and answers whether the cap is now exceeded.
 */
function byteCounter(limit: number, perEvent: boolean): (chunk: Uint8Array) => boolean {
  let total = 0;
  let lineBytes = 0;
  if (!perEvent) {
    return (chunk) => {
      total += chunk.byteLength;
      return total > limit;
    };
  }
  return (chunk) => {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(LF, start);
      const end = newline === -1 ? chunk.length : newline;
      let segment = end - start;
      // A CR just before LF (or at a chunk edge) is part of the line ending, not content.
      if (segment > 0 && chunk[end - 1] === CR) segment -= 1;
      lineBytes += segment;
      total += end - start;
      if (total > limit) return true;
      if (newline === -1) break;
      if (lineBytes === 0)
        total = 0; // blank line: the event is complete
      else total += 1; // the LF of a content line belongs to the event
      lineBytes = 0;
      start = newline + 1;
    }
    return false;
  };
}

/**
 * A byte-counting pass-through (see {@link byteCounter} for what is counted). Past the cap the
 * stream errors, which aborts the underlying connection, so at most `limit` bytes of one message are
 * ever buffered.
 */
export function byteCapTransform(
  limit: number,
  perEvent: boolean,
  onExceeded: () => void,
): TransformStream<Uint8Array, Uint8Array> {
  const exceeds = byteCounter(limit, perEvent);
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (exceeds(chunk)) {
        onExceeded();
        controller.error(new ResponseTooLargeError(limit));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}

/**
 * The same cap as {@link byteCapTransform}, as one pull-based stream over `body` that also calls
 * `settled` once when the body ends, fails or is cancelled. One stream instead of two chained
 * TransformStreams: every tool result passes through here, and each web-stream stage costs several
 * promise hops per chunk (about 0.1 ms per response on Node 20).
 */
function cappedBody(
  body: ReadableStream<Uint8Array>,
  limit: number,
  perEvent: boolean,
  onExceeded: () => void,
  settled: () => void,
): ReadableStream<Uint8Array> {
  const exceeds = byteCounter(limit, perEvent);
  const reader = body.getReader();
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    settled();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch (error) {
          finish();
          throw error;
        }
        if (next.done) {
          finish();
          controller.close();
          return;
        }
        if (exceeds(next.value)) {
          finish();
          onExceeded();
          const error = new ResponseTooLargeError(limit);
          controller.error(error);
          // Drop the rest: cancelling the source aborts the underlying connection.
          reader.cancel(error).catch(() => undefined);
          return;
        }
        controller.enqueue(next.value);
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    // Pull only when the consumer reads: nothing is buffered ahead of it.
    { highWaterMark: 0 },
  );
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

function mediaType(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/**
 * The fetch given to the SDK's HTTP transports. It
 * - refuses any URL the `allow` predicate rejects (no redirect or endpoint can point it elsewhere),
 * - never follows redirects itself (`redirect: 'manual'`),
 * - reports HTTP 401 as `auth_required`,
 * - caps response bodies at `maxBytes` per message (see {@link byteCapTransform}) and reports
 *   `too_large` when the cap trips.
 */
export function createGuardedFetch(options: {
  allow: (url: URL) => boolean;
  maxBytes: number;
  onFatal: FatalHook;
  baseFetch?: typeof fetch;
}): FetchLike {
  const baseFetch = options.baseFetch ?? fetch;
  return async (input, init) => {
    const target = new URL(typeof input === 'string' ? input : input.href);
    if (!options.allow(target)) {
      options.onFatal('protocol', 'tried to reach a URL other than the configured one (redirect refused)');
      throw new ForeignUrlError();
    }
    // The SDK passes one connection-wide AbortSignal to every fetch, and undici leaves a listener on
    // it per request until garbage collection: a long-lived daemon would pile up thousands. Each
    // request gets its own signal instead, bridged from the shared one and unhooked when it settles.
    const shared = init?.signal ?? undefined;
    const own = new AbortController();
    const forward = () => own.abort(shared?.reason);
    if (shared?.aborted) forward();
    else shared?.addEventListener('abort', forward, { once: true });
    const release = () => shared?.removeEventListener('abort', forward);
    let response: Response;
    try {
      response = await baseFetch(target, { ...init, signal: own.signal, redirect: 'manual' });
    } catch (error) {
      release();
      throw error;
    }
    if (response.status === 401) {
      options.onFatal('auth_required', 'answered HTTP 401');
    }
    if (response.body === null || NULL_BODY_STATUSES.has(response.status)) {
      release();
      return response;
    }
    const perEvent = mediaType(response.headers.get('content-type')) === 'text/event-stream';
    const body = cappedBody(
      response.body,
      options.maxBytes,
      perEvent,
      () => options.onFatal('too_large', `sent a message larger than the ${options.maxBytes}-byte limit`),
      release,
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
