import type { CedarValueJson, Context, EntityJson, EntityUidJson } from '@cedar-policy/cedar-wasm/nodejs';
import { AGENT_ENTITY_TYPE, NO_CAP_REMAINING_MICRO_USD, TOOL_ENTITY_TYPE } from './schema.js';
import type { PolicyRequest, RelayPolicyRequest } from './types.js';

/** A request translated into Cedar's JSON shapes; strings travel as data, never as policy text. */
export interface CedarRequest {
  principal: EntityUidJson;
  resource: EntityUidJson;
  context: Context;
  entities: EntityJson[];
}

/** Thrown (and caught by `evaluate`, which then denies) when a request cannot be represented faithfully. */
export class InvalidPolicyRequest extends Error {
  override readonly name = 'InvalidPolicyRequest';
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new InvalidPolicyRequest(`${field} must be a string`);
  return value;
}

/**
 * Cedar's Long is a 64-bit integer, but a JavaScript number is exact only up to 2^53 - 1: anything else
 * would reach the policy rounded. Negative amounts make no sense here and could slip under a
 * `cost > limit` rule, so they are refused too.
 */
function amount(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidPolicyRequest(`${field} must be a non-negative safe integer`);
  }
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidPolicyRequest(`${field} must be a boolean`);
  return value;
}

function remaining(value: unknown, field: string): number {
  return value === null ? NO_CAP_REMAINING_MICRO_USD : amount(value, field);
}

/** Translates a request into Cedar entities and context; throws {@link InvalidPolicyRequest}. */
export function toCedarRequest(request: PolicyRequest): CedarRequest {
  if (request === null || typeof request !== 'object')
    throw new InvalidPolicyRequest('request must be an object');
  const { tool, context } = request;
  if (tool === null || typeof tool !== 'object') throw new InvalidPolicyRequest('tool must be an object');
  if (context === null || typeof context !== 'object')
    throw new InvalidPolicyRequest('context must be an object');
  const budget = context.budget;
  if (budget === null || typeof budget !== 'object') {
    throw new InvalidPolicyRequest('context.budget must be an object');
  }
  if (!Array.isArray(context.riskSignals))
    throw new InvalidPolicyRequest('context.riskSignals must be an array');

  const agent = text(request.agent, 'agent');
  const toolName = text(tool.name, 'tool.name');
  const toolAttrs: Record<string, CedarValueJson> = {
    name: toolName,
    category: text(tool.category, 'tool.category'),
    effect: text(tool.effect, 'tool.effect'),
    cost_micro_usd: amount(tool.costMicroUsd, 'tool.costMicroUsd'),
    source: text(tool.source, 'tool.source'),
  };
  if (tool.server !== undefined) toolAttrs.server = text(tool.server, 'tool.server');

  const riskSignals = [...new Set(context.riskSignals.map((s, i) => text(s, `context.riskSignals[${i}]`)))];
  const principal = { type: AGENT_ENTITY_TYPE, id: agent };
  const resource = { type: TOOL_ENTITY_TYPE, id: toolName };
  return {
    principal,
    resource,
    context: {
      method: context.method === undefined ? 'tools/call' : text(context.method, 'context.method'),
      target: context.target === undefined ? toolName : text(context.target, 'context.target'),
      cost_micro_usd: amount(context.costMicroUsd, 'context.costMicroUsd'),
      args_bytes: amount(context.argsBytes, 'context.argsBytes'),
      first_use: flag(context.firstUse, 'context.firstUse'),
      risk_score: amount(context.riskScore, 'context.riskScore'),
      risk_signals: riskSignals,
      budget: {
        category: text(budget.category, 'context.budget.category'),
        would_exceed: flag(budget.wouldExceed, 'context.budget.wouldExceed'),
        daily_remaining_micro_usd: remaining(
          budget.dailyRemainingMicroUsd,
          'context.budget.dailyRemainingMicroUsd',
        ),
        monthly_remaining_micro_usd: remaining(
          budget.monthlyRemainingMicroUsd,
          'context.budget.monthlyRemainingMicroUsd',
        ),
      },
    },
    entities: [
      { uid: principal, attrs: { name: agent }, parents: [] },
      { uid: resource, attrs: toolAttrs, parents: [] },
    ],
  };
}

/** Methods by which a remote server makes the agent's client act: effect `write`. */
const WRITE_RELAY_METHODS = new Set(['sampling/createMessage', 'elicitation/create']);

/**
 * The policy request standing for one relayed MCP request: a Tool entity `SERVER/METHOD` with the
 * same attributes a tool has, so that every policy written for tool calls (including unscoped ones
 * such as `forbid (principal, action, resource) unless { ... }`) stays valid and applies.
 */
export function relayPolicyRequest(request: RelayPolicyRequest): PolicyRequest {
  if (request === null || typeof request !== 'object')
    throw new InvalidPolicyRequest('request must be an object');
  const server = text(request.server, 'server');
  const method = text(request.method, 'method');
  return {
    agent: request.agent,
    tool: {
      name: `${server}/${method}`,
      category: 'mcp',
      effect: WRITE_RELAY_METHODS.has(method) ? 'write' : 'read',
      costMicroUsd: 0,
      source: 'mcp',
      server,
    },
    context: {
      method,
      target: text(request.target, 'target'),
      costMicroUsd: 0,
      argsBytes: request.paramsBytes,
      firstUse: false,
      riskScore: 0,
      riskSignals: [],
      budget: {
        category: 'mcp',
        wouldExceed: false,
        dailyRemainingMicroUsd: null,
        monthlyRemainingMicroUsd: null,
      },
    },
  };
}
