import { defineRoute, errorResponses } from '../route.js';
import { Ref } from '../schema-kit.js';
import { Policy } from '../shared.js';
import { Type } from '../type.js';

const policyText = Type.Object(
  { text: Type.String({ maxLength: 512 * 1024 }) },
  { additionalProperties: false },
);

/** One problem found in a policy. */
export const PolicyProblem = Type.Object({ message: Type.String(), policyId: Type.Optional(Type.String()) });

export const getPolicy = defineRoute('GET', '/v1/policy', {
  summary: 'The active Cedar policy set',
  response: { 200: Ref(Policy), ...errorResponses(401, 403) },
});

export const validatePolicy = defineRoute('POST', '/v1/policy/validate', {
  summary: 'Parse and validate a Cedar policy set against the schema without applying it',
  body: policyText,
  response: {
    200: Type.Object({
      ok: Type.Boolean(),
      policyIds: Type.Optional(Type.Array(Type.String())),
      errors: Type.Optional(Type.Array(PolicyProblem)),
    }),
    ...errorResponses(400, 401, 403),
  },
});

export const setPolicy = defineRoute('PUT', '/v1/policy', {
  summary: 'Replace the active Cedar policy set (validated first; a receipt records the change)',
  body: policyText,
  response: { 200: Ref(Policy), ...errorResponses(400, 401, 403) },
});
