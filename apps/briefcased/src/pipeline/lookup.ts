import { BriefcaseError } from '@briefcase/core';
import type { RegisteredTool, ToolRegistry } from '../tools/registry.js';
import { printableName } from './messages.js';

/** Longest tool name accepted (and recorded in a receipt); a longer name is not a tool's. */
export const MAX_NAME_IN_RECEIPT = 256;

/** Finds the tool an untrusted request names; throws `invalid_args` or `not_found`. */
export function lookupTool(registry: ToolRegistry, name: unknown): RegisteredTool {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_IN_RECEIPT) {
    throw new BriefcaseError(
      'invalid_args',
      `The request must name a tool: a non-empty string of at most ${MAX_NAME_IN_RECEIPT} characters.`,
    );
  }
  const tool = registry.get(name);
  if (!tool) {
    throw new BriefcaseError(
      'not_found',
      `No tool is named ${printableName(name)}. List the available tools with \`briefcase tools list\`.`,
    );
  }
  return tool;
}
