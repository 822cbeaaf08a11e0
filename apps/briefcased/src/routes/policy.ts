import { type BodyOf, getPolicy, setPolicy, validatePolicy } from '@briefcase/api';
import { BriefcaseError } from '@briefcase/core';
import type { CompiledPolicy, PolicyProblem } from '@briefcase/policy';
import type { FastifyInstance } from 'fastify';
import { ADMIN } from '../auth.js';
import type { StoredPolicy } from '../db/policy.js';

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
  app.get(
    getPolicy.url,
    {
      config: { roles: ADMIN },
      schema: getPolicy.schema,
    },
    async () => policyView(),
  );

  app.post(
    validatePolicy.url,
    {
      config: { roles: ADMIN, admin: 'read' },
      schema: validatePolicy.schema,
    },
    async (request) => {
      const checked = deps.policy.validate((request.body as BodyOf<typeof validatePolicy>).text);
      if (!checked.ok) return { ok: false, errors: checked.errors };
      const policyIds = checked.policy.policyIds;
      checked.policy.dispose();
      return { ok: true, policyIds };
    },
  );

  app.put(
    setPolicy.url,
    {
      config: { roles: ADMIN, admin: 'policy.set' },
      schema: setPolicy.schema,
    },
    async (request) => {
      const checked = deps.policy.validate((request.body as BodyOf<typeof validatePolicy>).text);
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
