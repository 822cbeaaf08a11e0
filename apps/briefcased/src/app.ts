import { Readable } from 'node:stream';
import { type Approval, BriefcaseError, type ErrorCode, isBriefcaseError } from '@briefcase/core';
import type { CompiledPolicy, PolicyProblem } from '@briefcase/policy';
import type { ReceiptLog } from '@briefcase/receipts';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { isLoopbackRequest, type Role } from './auth.js';
import type { ApprovalStore } from './db/approvals.js';
import type { BudgetStore } from './db/budgets.js';
import type { Db } from './db/open.js';
import type { StoredPolicy } from './db/policy.js';
import type { ApprovalEvents } from './events.js';
import type { Pipeline } from './pipeline/call.js';
import { BUDGET_CAP, errorResponses, ref, SHARED_SCHEMAS } from './schemas.js';
import type { ToolRegistry } from './tools/registry.js';
import { VERSION } from './version.js';

declare module 'fastify' {
  interface FastifyRequest {
    role?: Role;
  }
  interface FastifyContextConfig {
    /** Roles allowed on the route; absent means no authentication (only /health). */
    roles?: readonly Role[];
  }
}

/** The active policy and how to replace it; owned by the daemon, read by the pipeline. */
export interface PolicyHolder {
  current(): { compiled: CompiledPolicy; stored: StoredPolicy };
  validate(text: string): { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyProblem[] };
  replace(policy: CompiledPolicy): StoredPolicy;
}

export interface AppDeps {
  db: Db;
  pipeline: Pipeline;
  registry: ToolRegistry;
  receipts: ReceiptLog;
  approvals: ApprovalStore;
  budgets: BudgetStore;
  events: ApprovalEvents;
  policy: PolicyHolder;
  authenticate: (authorization: string | undefined) => Role | undefined;
  status: () => Record<string, unknown>;
  logger?: Logger;
  /** Port of the loopback TCP listener, when one is open: its requests get Host/Origin checks. */
  tcpPort?: () => number | undefined;
  clock?: () => Date;
  /** Largest request body accepted, in bytes. */
  bodyLimit?: number;
}

const ADMIN = ['admin'] as const;
const ANY_ROLE = ['admin', 'agent'] as const;
const CATEGORY = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$';
const SSE_PING_MS = 15_000;
const EXPORT_PAGE = 500;

function sendError(reply: FastifyReply, error: BriefcaseError, status?: number) {
  return reply.code(status ?? error.httpStatus).send(error.toBody());
}

/** Maps framework-level request failures (bad JSON, huge body, schema violations) to stable codes. */
function toBriefcaseError(error: FastifyError): { error: BriefcaseError; status: number; parse: boolean } {
  if (isBriefcaseError(error)) return { error, status: error.httpStatus, parse: false };
  if (error.validation) {
    const errors = error.validation.slice(0, 20).map((v) => ({
      path: v.instancePath === '' ? '/' : v.instancePath,
      message: v.message ?? 'is invalid',
    }));
    const where = error.validationContext ?? 'request';
    return {
      error: new BriefcaseError(
        'invalid_args',
        `The ${where} does not match the API schema: ${errors[0]?.path} ${errors[0]?.message}. See openapi/briefcased.json.`,
        { details: { errors } },
      ),
      status: 400,
      parse: false,
    };
  }
  const byCode: Record<string, [number, string]> = {
    FST_ERR_CTP_BODY_TOO_LARGE: [413, 'The request body is larger than the daemon accepts.'],
    FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'Send the request body as application/json.'],
    FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'The request body is empty; send a JSON object.'],
    FST_ERR_CTP_INVALID_JSON_BODY: [400, 'The request body is not valid JSON.'],
    FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'The Content-Length header does not match the body.'],
  };
  const known = error.code ? byCode[error.code] : undefined;
  if (known) return { error: new BriefcaseError('invalid_args', known[1]), status: known[0], parse: true };
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return {
      error: new BriefcaseError('invalid_args', 'The request body is not valid JSON.'),
      status: 400,
      parse: true,
    };
  }
  return {
    error: new BriefcaseError('internal_error', 'briefcased hit an unexpected error; see its log.'),
    status: 500,
    parse: false,
  };
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

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema as unknown as Record<string, unknown>);

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
    if (role === undefined) {
      return sendError(
        reply,
        new BriefcaseError(
          'unauthorized',
          'Missing or wrong bearer token. The CLI reads it from admin.token in the data dir (BRIEFCASE_DATA_DIR).',
        ),
      );
    }
    request.role = role;
    if (roles !== undefined && !roles.includes(role)) {
      return sendError(
        reply,
        new BriefcaseError(
          'unauthorized',
          `This action needs the ${roles.join(' or ')} role; the ${role} token cannot do it.`,
        ),
        403,
      );
    }
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new BriefcaseError('not_found', `No API route ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const mapped = toBriefcaseError(error);
    if (mapped.error.code === 'internal_error') request.log.error({ err: error }, 'request failed');
    let out = mapped.error;
    if (mapped.parse && request.routeOptions.url === '/v1/tools/call') {
      // A malformed call is still a call attempt: it leaves a receipt.
      out = deps.pipeline.recordRejectedAttempt(
        { role: request.role ?? 'agent', agent: 'default' },
        mapped.error,
      );
    }
    return sendError(reply, out, out.code === mapped.error.code ? mapped.status : undefined);
  });

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

  app.get(
    '/v1/tools',
    {
      config: { roles: ANY_ROLE },
      schema: {
        summary: 'The tool catalog',
        response: {
          200: {
            type: 'object',
            properties: { tools: { type: 'array', items: ref('Tool') } },
            required: ['tools'],
          },
          ...errorResponses(401),
        },
      },
    },
    async () => ({
      tools: deps.registry.list().map(({ definition: d }) => ({
        name: d.name,
        description: d.description,
        inputSchema: d.inputSchema,
        ...(d.outputSchema ? { outputSchema: d.outputSchema } : {}),
        category: d.category,
        effect: d.effect,
        costMicroUsd: d.costMicroUsd,
        source: d.source,
      })),
    }),
  );

  app.post(
    '/v1/tools/call',
    {
      config: { roles: ANY_ROLE },
      attachValidation: true,
      schema: {
        summary: 'Call a tool through the enforcement pipeline',
        description:
          'Validates, decides (policy, budget, risk), asks for approval when needed, executes, redacts and writes a receipt. Every attempt, successful or not, writes exactly one receipt; errors carry `details.receiptSeq`. After a person approves, repeat the exact same call (with or without `approvalId`).',
        body: {
          type: 'object',
          properties: {
            tool: { type: 'string', minLength: 1, maxLength: 256 },
            args: { type: 'object' },
            approvalId: { type: 'string', maxLength: 64 },
          },
          required: ['tool'],
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              result: {},
              provenance: {
                type: 'object',
                properties: {
                  tool: { type: 'string' },
                  source: ref('ToolSource'),
                  receiptSeq: { type: 'integer' },
                  receiptHash: { type: 'string' },
                  costMicroUsd: { type: 'integer' },
                  approvalId: { type: ['string', 'null'] },
                  redactions: { type: 'integer' },
                  durationMs: { type: 'number' },
                },
                required: [
                  'tool',
                  'source',
                  'receiptSeq',
                  'receiptHash',
                  'costMicroUsd',
                  'approvalId',
                  'durationMs',
                ],
              },
            },
            required: ['result', 'provenance'],
          },
          ...errorResponses(400, 401, 402, 403, 404, 409, 413, 415, 424, 500, 502),
        },
      },
    },
    async (request, reply) => {
      const caller = { role: request.role ?? 'agent', agent: 'default' } as const;
      if (request.validationError) {
        throw deps.pipeline.recordRejectedAttempt(
          caller,
          toBriefcaseError(request.validationError as FastifyError).error,
        );
      }
      const body = request.body as { tool: string; args?: unknown; approvalId?: string };
      const outcome = await deps.pipeline.callTool(body, caller);
      return reply.send(outcome);
    },
  );

  const approvalParams = {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
    required: ['id'],
  };
  const approvalResponse = {
    200: { type: 'object', properties: { approval: ref('Approval') }, required: ['approval'] },
    ...errorResponses(400, 401, 403, 404, 409),
  };

  app.get(
    '/v1/approvals',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'List approval requests, newest first',
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired', 'consumed', 'all'] },
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { approvals: { type: 'array', items: ref('Approval') } },
            required: ['approvals'],
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query as { state?: Approval['state'] | 'all'; limit?: string };
      const limit = Math.min(Math.max(Number(q.limit ?? 100), 1), 1000);
      return { approvals: deps.approvals.list(q.state ?? 'pending', limit) };
    },
  );

  app.get(
    '/v1/approvals/stream',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Server-Sent Events stream of approval changes',
        description:
          'First an `event: snapshot` with `{"approvals": [pending…]}`, then `event: approval` with `{"type": "created"|"approved"|"denied"|"expired"|"consumed", "approval": Approval}`. A `: ping` comment every 15 s keeps proxies from closing it.',
        produces: ['text/event-stream'],
        response: { 200: { type: 'string', description: 'text/event-stream' }, ...errorResponses(401, 403) },
      },
    },
    (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      const write = (event: string, data: unknown) =>
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      write('snapshot', { approvals: deps.approvals.list('pending', 1000) });
      const unsubscribe = deps.events.subscribe((event) => write('approval', event));
      const ping = setInterval(() => res.write(': ping\n\n'), SSE_PING_MS);
      const stop = () => {
        clearInterval(ping);
        unsubscribe();
      };
      request.raw.on('close', stop);
      res.on('error', stop);
    },
  );

  app.get(
    '/v1/approvals/:id',
    {
      config: { roles: ADMIN },
      schema: { summary: 'One approval request', params: approvalParams, response: approvalResponse },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const approval = deps.approvals.get(id);
      if (!approval) throw new BriefcaseError('not_found', `No approval has the id ${JSON.stringify(id)}.`);
      return { approval };
    },
  );

  const decide = (decision: 'approved' | 'denied') => async (request: FastifyRequest) => {
    const { id } = request.params as { id: string };
    const reason = (request.body as { reason?: string } | undefined)?.reason;
    const nowMs = clock().getTime();
    const approval = deps.db.transaction(() => {
      const decided = deps.approvals.decide(id, decision, 'local-admin', nowMs, reason);
      if (decided) {
        deps.receipts.append(
          {
            kind: 'approval_decision',
            approvalId: decided.id,
            tool: decided.tool,
            argsHash: decided.argsHash,
            decision,
            by: 'local-admin',
          },
          clock(),
        );
      }
      return decided;
    })();
    if (!approval) {
      const existing = deps.approvals.get(id);
      if (!existing) throw new BriefcaseError('not_found', `No approval has the id ${JSON.stringify(id)}.`);
      const state = existing.state === 'pending' ? 'expired' : existing.state;
      throw new BriefcaseError(
        'invalid_args',
        `Approval ${id} is ${state}, not pending, so it cannot be ${decision}. List pending ones with \`briefcase approvals list\`.`,
        { details: { state } },
      );
    }
    deps.events.emit({ type: decision, approval });
    return { approval };
  };

  app.post(
    '/v1/approvals/:id/approve',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Approve a pending request (single use, bound to the exact tool and arguments)',
        params: approvalParams,
        body: { type: ['object', 'null'], additionalProperties: false },
        response: approvalResponse,
      },
    },
    decide('approved'),
  );

  app.post(
    '/v1/approvals/:id/deny',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Deny a pending request',
        params: approvalParams,
        body: {
          type: ['object', 'null'],
          properties: { reason: { type: 'string', maxLength: 500 } },
          additionalProperties: false,
        },
        response: approvalResponse,
      },
    },
    decide('denied'),
  );

  app.get(
    '/v1/receipts',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'List receipts, newest first',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'string', pattern: '^[0-9]{1,4}$' },
            before: { type: 'string', pattern: '^[0-9]{1,15}$' },
            kind: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { receipts: { type: 'array', items: ref('Receipt') } },
            required: ['receipts'],
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const q = request.query as { limit?: string; before?: string; kind?: string };
      return {
        receipts: deps.receipts.list({
          limit: Math.min(Math.max(Number(q.limit ?? 50), 1), 1000),
          ...(q.before !== undefined ? { beforeSeq: Number(q.before) } : {}),
          ...(q.kind !== undefined ? { kind: q.kind } : {}),
        }),
      };
    },
  );

  app.post(
    '/v1/receipts/verify',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Walk the receipt chain and report the first broken link',
        body: { type: ['object', 'null'] },
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              count: { type: 'integer' },
              head: {
                type: 'object',
                properties: { seq: { type: 'integer' }, hash: { type: 'string' } },
                required: ['seq', 'hash'],
              },
              brokenAt: { type: 'integer' },
              reason: { type: 'string' },
            },
            required: ['ok', 'count'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async () => deps.receipts.verify(),
  );

  app.get(
    '/v1/receipts/export',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Every receipt, oldest first, as NDJSON (one receipt per line)',
        produces: ['application/x-ndjson'],
        response: {
          200: { type: 'string', description: 'application/x-ndjson' },
          ...errorResponses(401, 403),
        },
      },
    },
    async (_request, reply) => {
      // Pages, not one long-lived cursor: better-sqlite3 refuses writes on a connection while an
      // iterator is open, and tool calls must keep writing receipts while a slow reader exports.
      const lines = (function* () {
        let fromSeq = 1;
        for (;;) {
          const page: string[] = [];
          for (const receipt of deps.receipts.iterate({ fromSeq })) {
            page.push(`${JSON.stringify(receipt)}\n`);
            fromSeq = receipt.seq + 1;
            if (page.length === EXPORT_PAGE) break;
          }
          if (page.length > 0) yield page.join('');
          if (page.length < EXPORT_PAGE) return;
        }
      })();
      return reply.type('application/x-ndjson').send(Readable.from(lines));
    },
  );

  app.get(
    '/v1/budgets',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Budgets per category with current spend (integer micro-USD; UTC day and month)',
        response: {
          200: {
            type: 'object',
            properties: { budgets: { type: 'array', items: ref('Budget') } },
            required: ['budgets'],
          },
          ...errorResponses(401, 403),
        },
      },
    },
    async () => ({ budgets: deps.budgets.list(clock().getTime()) }),
  );

  app.put(
    '/v1/budgets/:category',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Set the daily and monthly caps of a category (null = no cap for that window)',
        params: {
          type: 'object',
          properties: { category: { type: 'string', pattern: CATEGORY } },
          required: ['category'],
        },
        body: {
          type: 'object',
          properties: { dailyCapMicroUsd: BUDGET_CAP, monthlyCapMicroUsd: BUDGET_CAP },
          required: ['dailyCapMicroUsd'],
          additionalProperties: false,
        },
        response: {
          200: { type: 'object', properties: { budget: ref('Budget') }, required: ['budget'] },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { category } = request.params as { category: string };
      const body = request.body as { dailyCapMicroUsd: number | null; monthlyCapMicroUsd?: number | null };
      const now = clock();
      const cap = {
        category,
        dailyCapMicroUsd: body.dailyCapMicroUsd,
        monthlyCapMicroUsd: body.monthlyCapMicroUsd ?? null,
      };
      deps.db.transaction(() => {
        deps.budgets.set(cap, now.getTime());
        deps.receipts.append({ kind: 'budget_update', ...cap, by: 'local-admin' }, now);
      })();
      const budget = deps.budgets.list(now.getTime()).find((b) => b.category === category);
      return { budget };
    },
  );

  const policyView = () => {
    const { compiled, stored } = deps.policy.current();
    return {
      text: stored.text,
      hash: stored.hash,
      updatedAt: new Date(stored.updatedAtMs).toISOString(),
      policyIds: compiled.policyIds,
    };
  };
  const policyBody = {
    type: 'object',
    properties: { text: { type: 'string', maxLength: 512 * 1024 } },
    required: ['text'],
    additionalProperties: false,
  };

  app.get(
    '/v1/policy',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'The active Cedar policy set',
        response: { 200: ref('Policy'), ...errorResponses(401, 403) },
      },
    },
    async () => policyView(),
  );

  app.post(
    '/v1/policy/validate',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Parse and validate a Cedar policy set against the schema without applying it',
        body: policyBody,
        response: {
          200: {
            type: 'object',
            properties: {
              ok: { type: 'boolean' },
              policyIds: { type: 'array', items: { type: 'string' } },
              errors: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { message: { type: 'string' }, policyId: { type: 'string' } },
                  required: ['message'],
                },
              },
            },
            required: ['ok'],
          },
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const checked = deps.policy.validate((request.body as { text: string }).text);
      if (!checked.ok) return { ok: false, errors: checked.errors };
      const policyIds = checked.policy.policyIds;
      checked.policy.dispose();
      return { ok: true, policyIds };
    },
  );

  app.put(
    '/v1/policy',
    {
      config: { roles: ADMIN },
      schema: {
        summary: 'Replace the active Cedar policy set (validated first; a receipt records the change)',
        body: policyBody,
        response: { 200: ref('Policy'), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const checked = deps.policy.validate((request.body as { text: string }).text);
      if (!checked.ok) {
        throw new BriefcaseError(
          'invalid_args',
          `The policy is not valid, so nothing changed: ${checked.errors[0]?.message}. Check it with \`briefcase policy validate FILE\`.`,
          { details: { errors: checked.errors } },
        );
      }
      deps.policy.replace(checked.policy);
      return policyView();
    },
  );

  return app;
}

export type { ErrorCode };
