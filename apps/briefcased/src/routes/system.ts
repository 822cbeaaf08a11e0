import { health, status } from '@briefcase/api';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import { VERSION } from '../version.js';

/** What the liveness and status routes read. */
export interface SystemRouteDeps {
  status: () => Record<string, unknown> | Promise<Record<string, unknown>>;
}

/** Registers GET /health (no authentication) and GET /v1/status (admin). */
export function registerSystemRoutes(app: FastifyInstance, deps: SystemRouteDeps): void {
  app.get(
    health.url,
    {
      schema: health.schema,
    },
    async () => ({ status: 'ok', version: VERSION }),
  );

  app.get(
    status.url,
    {
      config: { roles: ADMIN },
      schema: status.schema,
    },
    async () => deps.status(),
  );
}
