import {
  CompleteResultSchema,
  EmptyResultSchema,
  GetPromptResultSchema,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * The requests other than tools that briefcased may send to a server on the agent's behalf, each
 * with the SDK schema its result must match (a result that does not is a protocol failure).
 */
export const RELAYED_METHODS = Object.freeze({
  'resources/list': ListResourcesResultSchema,
  'resources/templates/list': ListResourceTemplatesResultSchema,
  'resources/read': ReadResourceResultSchema,
  'resources/subscribe': EmptyResultSchema,
  'resources/unsubscribe': EmptyResultSchema,
  'prompts/list': ListPromptsResultSchema,
  'prompts/get': GetPromptResultSchema,
  'completion/complete': CompleteResultSchema,
  'logging/setLevel': EmptyResultSchema,
});

/** One of the {@link RELAYED_METHODS}. */
export type RelayedMethod = keyof typeof RELAYED_METHODS;

/** True when `method` is one of the {@link RELAYED_METHODS}. */
export function isRelayedMethod(method: unknown): method is RelayedMethod {
  return typeof method === 'string' && Object.hasOwn(RELAYED_METHODS, method);
}
