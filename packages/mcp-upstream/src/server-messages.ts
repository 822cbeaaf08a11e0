import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { noteToolsChanged } from './catalog-cache.js';
import { markFatal } from './health.js';
import { assertWithinLimits, describeViolation, findLimitViolation } from './limits.js';
import type { UpstreamServerRequest } from './pool-types.js';
import type { Entry, PoolContext } from './registry.js';
import type { Session, SessionEvents } from './session.js';

// What a server sends us unasked: list_changed, requests to us as its client, notifications.
// Everything stops once the session is closed or the entry retired: a replaced server must not
// reach the caller's hooks any more.

function onToolsListChanged(ctx: PoolContext, entry: Entry, session: Session): void {
  if (session.closed || entry.retired) return;
  const isNews = noteToolsChanged(entry.catalog);
  ctx.log('info', 'upstream tools changed', { server: entry.name });
  if (!isNews) return; // one announcement until the catalog is read again
  try {
    ctx.options.onToolsChanged?.(entry.name);
  } catch {
    ctx.log('error', 'onToolsChanged threw', { server: entry.name });
  }
}

async function answerServerRequest(
  ctx: PoolContext,
  entry: Entry,
  session: Session,
  request: UpstreamServerRequest,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  const handler = ctx.options.onServerRequest;
  if (!handler || session.closed || entry.retired) {
    throw new McpError(ErrorCode.MethodNotFound, `${request.method} is not available`);
  }
  assertWithinLimits(
    request,
    {},
    (violation) => new McpError(ErrorCode.InvalidParams, `Request ${describeViolation(violation)}`),
  );
  return handler(entry.name, { method: request.method, params: request.params ?? {} }, { signal });
}

function forwardNotification(
  ctx: PoolContext,
  entry: Entry,
  session: Session,
  notification: UpstreamServerRequest,
): void {
  const hook = ctx.options.onServerNotification;
  if (session.closed || entry.retired || !hook) return;
  const violation = findLimitViolation(notification);
  if (violation) {
    ctx.log('warn', 'upstream notification dropped', { server: entry.name, reason: violation.kind });
    return;
  }
  try {
    hook(entry.name, {
      method: notification.method,
      ...(notification.params ? { params: notification.params } : {}),
    });
  } catch {
    ctx.log('error', 'onServerNotification threw', { server: entry.name, method: notification.method });
  }
}

/** The handlers a session of `entry` reports to. */
export function sessionEventsFor(ctx: PoolContext, entry: Entry): SessionEvents {
  return {
    fatal: (session, reason, what) => markFatal(ctx, entry, session, reason, what),
    toolsListChanged: (session) => onToolsListChanged(ctx, entry, session),
    serverRequest: (session, request, signal) => answerServerRequest(ctx, entry, session, request, signal),
    serverNotification: (session, notification) => forwardNotification(ctx, entry, session, notification),
    backgroundErrorIgnored: (kind) =>
      ctx.log('debug', 'upstream background error ignored', { server: entry.name, kind }),
  };
}
