import type { FastifyRequest } from 'fastify';
import type { AdminRequest } from '../kernel/admin.js';

/** The admin request a route handles, as its receipt names it: action, caller, route params, body. */
export function adminRequestOf(request: FastifyRequest): AdminRequest {
  const admin = request.routeOptions.config?.admin;
  return {
    action:
      admin !== undefined && admin !== 'read'
        ? admin
        : `${request.method} ${request.routeOptions.url ?? '(no route)'}`,
    by: request.role === 'admin' ? 'local-admin' : (request.role ?? 'unknown'),
    target: { ...((request.params ?? {}) as Record<string, string>) },
    input: request.body,
  };
}
