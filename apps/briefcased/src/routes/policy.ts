import { BriefcaseError } from '@briefcase/core';
import type { CompiledPolicy, PolicyProblem } from '@briefcase/policy';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { StoredPolicy } from '../db/policy.js';
import { errorResponses, ref } from '../schemas.js';

/** The active policy and how to replace it; owned by the daemon, read by the pipeline. */
export interface PolicyHolder {
  current(): { compiled: CompiledPolicy; stored: StoredPolicy };
  validate(text: string): { ok: true; policy: CompiledPolicy } | { ok: false; errors: PolicyProblem[] };
  replace(policy: CompiledPolicy): Promise<StoredPolicy>;
}

/** What the policy routes read and replace. */
export interface PolicyRouteDeps {
  policy: PolicyHolder;
}

/** Registers the admin's policy routes: show the active set, validate a candidate, replace it. */
export function registerPolicyRoutes(app: FastifyInstance, deps: PolicyRouteDeps): void {
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
      config: { roles: ADMIN, admin: 'read' },
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
      config: { roles: ADMIN, admin: 'policy.set' },
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
      await deps.policy.replace(checked.policy);
      return policyView();
    },
  );
}
