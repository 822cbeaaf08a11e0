import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import { errorResponses } from '../schemas.js';
import { VERSION } from '../version.js';

/** What the liveness and status routes read. */
export interface SystemRouteDeps {
  status: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Registers GET /health (no authentication) and GET /v1/status (admin). */
export function registerSystemRoutes(app: FastifyInstance, deps: SystemRouteDeps): void {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness check (no authentication)',
        security: [],
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string', const: 'ok' }, version: { type: 'string' } },
            required: ['status', 'version'],
          },
        },
      },
    },
    async () => ({ status: 'ok', version: VERSION }),
  );

  app.get(
    '/v1/status',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Daemon status',
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses(401, 403) },
      },
    },
    async () => deps.status(),
  );
}
