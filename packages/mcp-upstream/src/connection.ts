import { forgetCatalog } from './catalog-cache.js';
import { classifyFailure } from './classify.js';
import { UpstreamError } from './errors.js';
import { backoffError, recordFailure } from './health.js';
import type { Entry, PoolContext } from './registry.js';
import { sessionEventsFor } from './server-messages.js';
import { closeSession, connectSession, openSession, type Session } from './session.js';

/** Opens and initializes a new session for `entry`; a failure is recorded and breaks the session. */
async function connect(ctx: PoolContext, entry: Entry): Promise<Session> {
  const { config, name } = entry;
  const session = openSession(
    config,
    {
      clientInfo: ctx.clientInfo,
      answersServerRequests: ctx.options.onServerRequest !== undefined,
      baseFetch: ctx.options.fetchFor?.(name),
    },
    sessionEventsFor(ctx, entry),
  );
  try {
    await connectSession(session, config);
  } catch (error) {
    const failure = classifyFailure(error, {
      server: name,
      activity: 'connecting',
      sessionClosed: session.closed,
      sessionFailure: session.failure,
    });
    recordFailure(ctx, entry, failure, session, true); // also closes the session (kills a stdio child)
    throw failure;
  }
  return session;
}

/**
 * The open session of `entry`, connecting when there is none. Concurrent callers share one connect.
 * Inside the backoff window after a failure it fails fast (`unreachable`, or `auth_required` when
 * that was the failure) instead of hammering a broken server.
 * @throws UpstreamError
 */
export function getSession(ctx: PoolContext, entry: Entry): Promise<Session> {
  const current = entry.session;
  if (current && !current.closed) return Promise.resolve(current);
  if (current) entry.session = null;
  if (entry.connecting) return entry.connecting;
  if (entry.retired) {
    return Promise.reject(
      new UpstreamError('closed', `Server "${entry.name}" was closed.`, { server: entry.name }),
    );
  }
  const waitMs = entry.retryAt - Date.now();
  if (waitMs > 0) return Promise.reject(backoffError(entry, waitMs));
  const attempt = connect(ctx, entry).then(
    (session) => {
      entry.connecting = null;
      if (entry.retired) {
        void closeSession(session, true);
        throw new UpstreamError(
          'closed',
          `Server "${entry.name}" was closed or reconfigured while connecting.`,
          { server: entry.name },
        );
      }
      entry.session = session;
      // Tools may have changed while no session listened for list_changed.
      forgetCatalog(entry.catalog);
      ctx.log('info', 'upstream connected', {
        server: entry.name,
        transport: entry.config.transport,
        ...(session.stdio?.pid === undefined ? {} : { pid: session.stdio.pid }),
      });
      return session;
    },
    (error: unknown) => {
      entry.connecting = null;
      throw error;
    },
  );
  entry.connecting = attempt;
  return attempt;
}
