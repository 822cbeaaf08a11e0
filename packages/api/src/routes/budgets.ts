import { defineRoute, errorResponses } from '../route.js';
import { Ref } from '../schema-kit.js';
import { Budget, NullableMicroUsd } from '../shared.js';
import { Type } from '../type.js';

export const listBudgets = defineRoute('GET', '/v1/budgets', {
  summary: 'Budgets per category with current spend (integer micro-USD; UTC day and month)',
  response: { 200: Type.Object({ budgets: Type.Array(Ref(Budget)) }), ...errorResponses(401, 403) },
});

export const setBudget = defineRoute('PUT', '/v1/budgets/:category', {
  summary: 'Set the daily and monthly caps of a category (null = no cap for that window)',
  params: Type.Object({ category: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' }) }),
  body: Type.Object(
    { dailyCapMicroUsd: NullableMicroUsd, monthlyCapMicroUsd: Type.Optional(NullableMicroUsd) },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ budget: Ref(Budget) }), ...errorResponses(400, 401, 403) },
});
