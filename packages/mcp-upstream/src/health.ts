import { authRequiredError, UpstreamError, type UpstreamErrorReason } from './errors.js';
import type { Entry, PoolContext } from './registry.js';
import { closeSession, type Session } from './session.js';

// Failure accounting: what a failure does to a server's session, its backoff and its status.

/** Reconnect backoff when the caller sets none. */
export const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 30_000 };
/** `lastError` is cut to this length: it ends up in status output and logs. */
const MAX_LAST_ERROR_CHARS = 4096;
/** Doubling stops here; the delay is capped by `maxMs` long before, this only keeps 2^n finite. */
const MAX_BACKOFF_DOUBLINGS = 30;
/** Shorter env values are not blanked out of stderr: they would match ordinary words. */
const MIN_REDACTED_VALUE_CHARS = 4;

/** Printable stderr excerpt with every configured env value (API keys live there) blanked out. */
function redactStderr(tail: string, env: Record<string, string> | undefined): string {
  let text = tail;
  for (const value of Object.values(env ?? {})) {
    if (value.length >= MIN_REDACTED_VALUE_CHARS) text = text.split(value).join('[redacted]');
  }
  return text.replace(/[^\P{C}\n\t]/gu, '?').trim();
}

function describeFailure(entry: Entry, failure: UpstreamError, session: Session | null): string {
  let text = failure.message;
  const tail = session?.stdio?.stderrTail;
  if (tail) text += ` | stderr: ${redactStderr(tail, entry.config.env)}`;
  return text.length > MAX_LAST_ERROR_CHARS ? `${text.slice(0, MAX_LAST_ERROR_CHARS)}...` : text;
}

/** Exponential from `initialMs`, capped at `maxMs`, with "equal jitter" so servers don't retry in step. */
function backoffDelay(backoff: { initialMs: number; maxMs: number }, attempts: number): number {
  const base = Math.min(
    backoff.maxMs,
    backoff.initialMs * 2 ** Math.min(attempts - 1, MAX_BACKOFF_DOUBLINGS),
  );
  return Math.round(base / 2 + (Math.random() * base) / 2);
}

/**
 * Notes a failure in the entry's status. When it `breaks` the session, closes that session and
 * starts the backoff window in which no reconnect is tried.
 */
export function recordFailure(
  ctx: PoolContext,
  entry: Entry,
  failure: UpstreamError,
  session: Session | null,
  breaks: boolean,
): void {
  entry.lastFailure = failure;
  entry.lastError = describeFailure(entry, failure, session);
  if (!breaks) {
    ctx.log('warn', 'upstream request failed', { server: entry.name, reason: failure.reason });
    return;
  }
  if (session) {
    if (entry.session === session) entry.session = null;
    void closeSession(session, false);
  }
  entry.consecutiveTimeouts = 0;
  entry.reconnectAttempts += 1;
  const delay = backoffDelay(ctx.backoff, entry.reconnectAttempts);
  entry.retryAt = Date.now() + delay;
  ctx.log('warn', 'upstream session failed', {
    server: entry.name,
    reason: failure.reason,
    reconnectAttempts: entry.reconnectAttempts,
    retryInMs: delay,
  });
}

/** A failure of ours to report that leaves the session as it is; returned for the caller to throw. */
export function noteFailure(
  ctx: PoolContext,
  entry: Entry,
  reason: UpstreamErrorReason,
  message: string,
): UpstreamError {
  const failure = new UpstreamError(reason, message, { server: entry.name });
  recordFailure(ctx, entry, failure, null, false);
  return failure;
}

/** Any answer proves the server healthy: the backoff and timeout streak start over. */
export function recordSuccess(entry: Entry): void {
  entry.reconnectAttempts = 0;
  entry.retryAt = 0;
  entry.consecutiveTimeouts = 0;
}

/**
 * Poisons a session from outside any one request (the transport or SDK saw something fatal): the
 * first cause sticks and explains every request the session then fails; the session is closed.
 */
export function markFatal(
  ctx: PoolContext,
  entry: Entry,
  session: Session,
  reason: UpstreamErrorReason,
  what: string,
): void {
  if (session.failure || session.closed) return;
  session.failure =
    reason === 'auth_required'
      ? authRequiredError(entry.name)
      : new UpstreamError(reason, `Server "${entry.name}" ${what}.`, { server: entry.name });
  ctx.log('warn', 'upstream session poisoned', { server: entry.name, reason });
  void closeSession(session, false);
}

/** The fast failure inside a backoff window: says what failed last and when the next try is. */
export function backoffError(entry: Entry, waitMs: number): UpstreamError {
  if (entry.lastFailure?.reason === 'auth_required') return authRequiredError(entry.name);
  const lastReason = entry.lastFailure?.reason ?? 'unknown';
  return new UpstreamError(
    'unreachable',
    `Server "${entry.name}" is unavailable after a failure (${lastReason}); next retry in ${(waitMs / 1000).toFixed(1)} s.`,
    {
      server: entry.name,
      details: { retryInMs: waitMs, retryAt: new Date(entry.retryAt).toISOString(), lastReason },
    },
  );
}
