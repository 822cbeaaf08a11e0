import { SHARED_SCHEMAS } from '@briefcase/api';
import { BriefcaseError, type ErrorCode } from '@briefcase/core';
import type { KeyStore } from '@briefcase/keys';
import type { ReceiptLog } from '@briefcase/receipts';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { isLoopbackRequest, type Role } from './auth.js';
import type { ChainHealth } from './chain-health.js';
import type { ApprovalStore } from './db/approvals.js';
import type { BudgetStore } from './db/budgets.js';
import type { Db } from './db/open.js';
import { sendError, toBriefcaseError } from './errors.js';
import type { ApprovalEvents } from './events.js';
import { DEFAULT_AGENT } from './kernel/action.js';
import type { ToolCalls } from './kernel/actions/tool-call.js';
import type { AdminActionName, AdminLedger } from './kernel/admin.js';
import { hasReceipt } from './kernel/enforce.js';
import type { ReceiptWriter } from './kernel/receipt-writer.js';
import type { ChannelHub } from './mcp/channels.js';
import type { McpManager } from './mcp/manager.js';
import type { Relay } from './mcp/relay.js';
import { adminRequestOf } from './routes/admin.js';
import { registerApprovalRoutes } from './routes/approvals.js';
import { registerBudgetRoutes } from './routes/budgets.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerMcpRoutes } from './routes/mcp.js';
import { type PolicyHolder, registerPolicyRoutes } from './routes/policy.js';
import { registerReceiptRoutes } from './routes/receipts.js';
import { registerRelayRoutes } from './routes/relay.js';
import { registerSystemRoutes } from './routes/system.js';
import { registerToolRoutes } from './routes/tools.js';
import type { ToolRegistry } from './tools/registry.js';
import { VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyRequest {
    role?: Role;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means no authentication (only /health). */
    roles?: readonly Role[];
    /**
     * The administrative action the route performs (its failures and refusals are receipted), or
     * `read` for an admin-only POST that changes nothing. Required on every admin-only route that is
     * not a GET: a route that forgets it does not register.
     */
    admin?: AdminActionName | 'read';
  }
}

/** How long the daemon keeps an idle client connection open (Fastify's default, stated on purpose). */
export const DAEMON_KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** What the local API needs from the daemon: its stores, the pipeline, and how to authenticate. */
export interface AppDeps {
  db: Db;
  /** Tool calls through the enforcement kernel. */
  toolCalls: ToolCalls;
  registry: ToolRegistry;
  receipts: ReceiptLog;
  approvals: ApprovalStore;
  budgets: BudgetStore;
  events: ApprovalEvents;
  policy: PolicyHolder;
  mcp: McpManager;
  /** The relay of resources, prompts, completion and server-to-client requests. */
  relay: Relay;
  /** Agent-session channels (one per gateway session). */
  channels: ChannelHub;
  /** The one receipt writer, for changes that write their own receipt kind. */
  writer: ReceiptWriter;
  /** Receipts of administrative actions that failed, were refused, or have no kind of their own. */
  admin: AdminLedger;
  /** Key custody: the receipts key signs chain heads. */
  keys: KeyStore;
  /** The receipt chain's health: listings and verifications report breaks to it. */
  chain?: ChainHealth;
  authenticate: (authorization: string | undefined) => Role | undefined;
  status: () => Record<string, unknown> | Promise<Record<string, unknown>>;
  logger?: Logger;
  /** Port of the loopback TCP listener, when one is open: its requests get Host/Origin checks. */
  tcpPort?: () => number | undefined;
  clock?: () => Date;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
}

/**
 * Builds the local API. It does not listen: the daemon binds it to the Unix socket (and optionally a
 * loopback TCP port); tests and the OpenAPI generator use it directly.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? (() => new Date());
  const app = Fastify({
    loggerInstance: deps.logger,
    // Request lines would carry URLs and headers; the pipeline logs what matters, without them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // Schema validation of API bodies must never rewrite them: no coercion, no stripping, no defaults.
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: true },
    },
    return503OnClosing: true,
    // Clients keep connections for reuse and close them when idle well before this (the client's
    // IDLE_CONNECTION_MS is 4 s), so the daemon never closes a connection a request is being written to.
    keepAliveTimeout: DAEMON_KEEP_ALIVE_TIMEOUT_MS,
    // SSE streams never go idle; closing the daemon must not wait for them.
    forceCloseConnections: true,
    frameworkErrors: (_error, _request, reply) =>
      sendError(
        reply,
        new BriefcaseError('invalid_args', 'The request URL is not valid (bad percent-encoding).'),
      ),
    routerOptions: {
      onMaxParamLength: (_path, _req, res) => {
        const body = new BriefcaseError('invalid_args', 'A path parameter in the URL is too long.').toBody();
        res.writeHead(414, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
      },
    },
  }) as unknown as FastifyInstance;
  // Only JSON bodies: without this, Fastify would also accept text/plain.
  app.removeContentTypeParser('text/plain');

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'briefcased local API',
        version: VERSION,
        description:
          'The trusted daemon of Credential Briefcase. Served on a Unix socket in the data dir (and optionally on loopback TCP). Every route but /health takes `Authorization: Bearer <token>`; the admin token may do everything, the agent token only lists and calls tools.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // Security rules as data: an admin change that does not say which action it is cannot be receipted.
  app.addHook('onRoute', (route) => {
    const roles = route.config?.roles;
    const methods = [route.method].flat();
    const adminOnly = roles !== undefined && !roles.includes('agent');
    if (adminOnly && methods.some((m) => m !== 'GET' && m !== 'HEAD') && route.config?.admin === undefined) {
      throw new Error(`admin route ${methods.join(',')} ${route.url} must name its action (config.admin)`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const tcpPort = deps.tcpPort?.();
    if (tcpPort !== undefined && request.socket.remoteAddress !== undefined) {
      const origin = request.headers.origin;
      if (
        !isLoopbackRequest(request.headers.host, typeof origin === 'string' ? origin : undefined, tcpPort)
      ) {
        return sendError(
          reply,
          new BriefcaseError(
            'unauthorized',
            'Requests must come from a loopback origin with a loopback Host header.',
          ),
          403,
        );
      }
    }
    const roles = request.routeOptions.config?.roles;
    if (roles === undefined && request.routeOptions.url !== undefined) return;
    const role = deps.authenticate(request.headers.authorization);
    if (role !== undefined) request.role = role;
    if (role === undefined || (roles !== undefined && !roles.includes(role))) {
      const error =
        role === undefined
          ? new BriefcaseError(
              'unauthorized',
              'Missing or wrong bearer token. The CLI reads it from admin.token in the data dir (BRIEFCASE_DATA_DIR).',
            )
          : new BriefcaseError(
              'unauthorized',
              `This action needs the ${roles?.join(' or ')} role; the ${role} token cannot do it.`,
            );
      const status = role === undefined ? undefined : 403;
      // A refused attempt at an admin route is an attempt too: it leaves a receipt.
      if (roles === undefined || roles.includes('agent')) return sendError(reply, error, status);
      return sendError(reply, await receiptedAdminFailure(request, error, 'denied'), status);
    }
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new BriefcaseError('not_found', `No API route ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );

  /** Receipts a failed or refused admin action; returns the error to answer with (or the writer's). */
  async function receiptedAdminFailure(
    request: FastifyRequest,
    error: BriefcaseError,
    outcome: 'failed' | 'denied' | 'invalid',
  ): Promise<BriefcaseError> {
    const answer = await deps.admin.failed(adminRequestOf(request), error, outcome);
    if (!hasReceipt(answer))
      request.log.error({ err: answer.cause }, 'an admin failure could not be receipted');
    return answer;
  }

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const mapped = toBriefcaseError(error);
    if (mapped.error.code === 'internal_error') request.log.error({ err: error }, 'request failed');
    let out = mapped.error;
    const admin = request.routeOptions.config?.admin;
    if (admin !== undefined && admin !== 'read' && !hasReceipt(out)) {
      out = await receiptedAdminFailure(
        request,
        out,
        mapped.parse || error.validation ? 'invalid' : 'failed',
      );
    }
    if (mapped.parse && request.routeOptions.url === '/v1/tools/call') {
      // A malformed call is still a call attempt: it leaves a receipt.
      out = await deps.toolCalls.recordRejected(
        { role: request.role ?? 'agent', agent: DEFAULT_AGENT },
        mapped.error,
      );
    }
    return sendError(reply, out, out.code === mapped.error.code ? mapped.status : undefined);
  });

  // Registration order is the order of the paths in the generated OpenAPI document.
  const routeDeps = { ...deps, clock };
  registerSystemRoutes(app, routeDeps);
  registerToolRoutes(app, routeDeps);
  registerApprovalRoutes(app, routeDeps);
  registerReceiptRoutes(app, routeDeps);
  registerKeyRoutes(app, routeDeps);
  registerBudgetRoutes(app, routeDeps);
  registerPolicyRoutes(app, routeDeps);
  registerMcpRoutes(app, routeDeps);
  registerRelayRoutes(app, routeDeps);

  return app;
}

export type { ErrorCode, PolicyHolder };
