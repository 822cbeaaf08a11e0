import { isRecord } from '@briefcase/core';
import { MAX_PROGRESS_MESSAGE_CHARS } from './limits.js';

import type { UpstreamProgress } from './pool-types.js';

/** Receives the params of one `notifications/progress`, minus its token. */
export type ProgressListener = (progress: { progress: number; total?: number; message?: string }) => void;

/** Progress listeners of one session, by the progressToken we sent. */
export type ProgressListeners = Map<string, ProgressListener>;

// Unique across pools and sessions, so a token never routes to another request's listener.
let progressTokens = 0;

/**
 * Sends `send(params)` with a `progressToken` in `_meta` when `onProgress` is set, routing the
 * server's progress notifications for it (through `listeners`) to `onProgress`.
 *
 * Not the SDK's `onprogress` option: the SDK drops a request's progress handler as soon as the
 * response arrives, but dispatches notifications a microtask later, so the last progress sent just
 * before a result is lost. Here the listener outlives the response by one macrotask.
 */
export async function withProgress<T>(
  listeners: ProgressListeners,
  params: Record<string, unknown>,
  onProgress: ((progress: UpstreamProgress) => void) | undefined,
  send: (params: Record<string, unknown>) => Promise<T>,
): Promise<T> {
  if (!onProgress) return send(params);
  progressTokens += 1;
  const token = `briefcase-${progressTokens}`;
  listeners.set(token, (p) => {
    try {
      onProgress({
        progress: p.progress,
        ...(typeof p.total === 'number' ? { total: p.total } : {}),
        ...(typeof p.message === 'string' ? { message: p.message.slice(0, MAX_PROGRESS_MESSAGE_CHARS) } : {}),
      });
    } catch {
      // a failing listener must not break the request
    }
  });
  const meta = isRecord(params._meta) ? params._meta : {};
  try {
    return await send({ ...params, _meta: { ...meta, progressToken: token } });
  } finally {
    setImmediate(() => listeners.delete(token));
  }
}
