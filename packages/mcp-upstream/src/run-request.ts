import { classifyFailure, SESSION_FATAL_REASONS } from './classify.js';
import { getSession } from './connection.js';
import { runWithDeadline } from './deadline.js';
import { UpstreamError } from './errors.js';
import { recordFailure, recordSuccess } from './health.js';
import type { Entry, PoolContext } from './registry.js';
import type { Session } from './session.js';

/** After this many timeouts in a row the session is assumed wedged and rebuilt. */
const TIMEOUTS_BEFORE_RECYCLE = 3;

/**
 * Runs one request on the pooled session of `entry` under one deadline that covers connecting too,
 * and settles the session's health by the outcome: any failure is classified into an
 * {@link UpstreamError}, and one that breaks the session closes it.
 * @param activity what the request does, for messages, e.g. `calling tool "echo"`
 * @throws UpstreamError
 */
export async function runRequest<T>(
  ctx: PoolContext,
  entry: Entry,
  activity: string,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
  work: (session: Session, signal: AbortSignal) => Promise<T>,
): Promise<T> {
  let session: Session | undefined;
  const server = entry.name;
  try {
    return await runWithDeadline(
      {
        timeoutMs,
        callerSignal,
        onAbort: (outcome) => {
          const stage = session === undefined ? 'connecting' : activity;
          if (outcome === 'cancelled') {
            return new UpstreamError(
              'cancelled',
              `The request to server "${server}" was cancelled while ${stage}.`,
              { server },
            );
          }
          const what = session === undefined ? 'did not finish connecting' : 'did not answer';
          return new UpstreamError(
            'timeout',
            `Server "${server}" ${what} within ${timeoutMs} ms while ${activity}.`,
            { server, details: { timeoutMs } },
          );
        },
      },
      async (signal) => {
        const ready = await getSession(ctx, entry);
        signal.throwIfAborted(); // the deadline fired while connecting: send nothing
        session = ready;
        const value = await work(ready, signal);
        recordSuccess(entry);
        return value;
      },
    );
  } catch (error) {
    if (session === undefined) {
      // Connect failures were recorded by connect(); a deadline while waiting is the caller's only.
      throw error instanceof UpstreamError
        ? error
        : classifyFailure(error, { server, activity, sessionClosed: false, sessionFailure: null });
    }
    const failure = classifyFailure(error, {
      server,
      activity,
      sessionClosed: session.closed,
      sessionFailure: session.failure,
    });
    if (failure.reason === 'cancelled') throw failure;
    if (failure.reason === 'timeout') {
      entry.consecutiveTimeouts += 1;
      recordFailure(ctx, entry, failure, session, entry.consecutiveTimeouts >= TIMEOUTS_BEFORE_RECYCLE);
    } else {
      recordFailure(ctx, entry, failure, session, SESSION_FATAL_REASONS.has(failure.reason));
    }
    throw failure;
  }
}
