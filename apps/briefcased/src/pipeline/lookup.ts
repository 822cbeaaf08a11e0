import { BriefcaseError, MAX_TOOL_NAME_LENGTH } from '@briefcase/core';
import type { RegisteredTool, ToolRegistry } from '../tools/registry.js';
import { printableName } from './messages.js';

/** Finds the tool an untrusted request names; throws `invalid_args` or `not_found`. */
export function lookupTool(registry: ToolRegistry, name: unknown): RegisteredTool {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_TOOL_NAME_LENGTH) {
    throw new BriefcaseError(
      'invalid_args',
      `The request must name a tool: a non-empty string of at most ${MAX_TOOL_NAME_LENGTH} characters.`,
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
