import { defineRoute, errorResponses } from '../route.js';
import { Nullable } from '../schema-kit.js';
import { Type } from '../type.js';
import { ChainHealth } from './receipts.js';

/** `GET /v1/status`: how the daemon runs. Diagnostic members may be added, so others are allowed. */
export const DaemonStatus = Type.Object(
  {
    version: Type.String(),
    pid: Type.Integer(),
    startedAt: Type.String(),
    dataDir: Type.String(),
    socketPath: Type.String(),
    tcp: Nullable(Type.String()),
    secretBackend: Type.String(),
    secretBackendNotice: Nullable(Type.String(), {
      description:
        'Set when the secret backend is weaker than the OS keychain (e.g. in-memory); show it as a warning.',
    }),
    policyHash: Type.String(),
    policyError: Type.Optional(Nullable(Type.String())),
    durability: Type.String(),
    receipts: Type.Object({
      count: Type.Integer(),
      headSeq: Nullable(Type.Integer()),
      headHash: Nullable(Type.String()),
      chain: Type.Optional(ChainHealth),
    }),
    approvalsPending: Type.Integer(),
    keyCustody: Type.Optional(
      Type.Object(
        { keys: Type.Integer(), active: Type.Integer(), backends: Type.Array(Type.String()) },
        {
          description:
            'How many keys are in custody, how many are active, and where their private halves live.',
        },
      ),
    ),
    warnings: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Sentences to show as warnings (e.g. software-backed keys).',
      }),
    ),
    tools: Type.Optional(Type.Integer()),
    tracing: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: true },
);

export const health = defineRoute('GET', '/health', {
  summary: 'Liveness check (no authentication)',
  security: [],
  response: {
    200: Type.Object({ status: Type.Literal('ok'), version: Type.String() }),
  },
});

export const status = defineRoute('GET', '/v1/status', {
  summary: 'Daemon status',
  response: { 200: DaemonStatus, ...errorResponses(401, 403) },
});
