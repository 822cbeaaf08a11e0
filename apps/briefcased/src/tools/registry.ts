import type { ToolDefinition } from '@briefcase/core';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compileArgsSchema } from '../pipeline/validate.js';
import type { ToolExecutor, ToolProvider, ToolSpec } from './types.js';

/** A tool ready for the pipeline: its definition, its executor and its compiled argument validator. */
export interface RegisteredTool {
  definition: ToolDefinition;
  executor: ToolExecutor;
  validateArgs: ValidateFunction;
  /** The secret names its executor may read. */
  secrets: readonly string[];
}

/** The catalog: built-in tools, plus sets of tools that providers (remote MCP servers) replace as they change. */
export interface ToolRegistry {
  get(name: string): RegisteredTool | undefined;
  list(): RegisteredTool[];
  /**
   * Replaces every tool of `providerId` with `specs` (an empty list removes them). Returns the names
   * left out, with why: a name another provider already uses, or a schema that does not compile.
   */
  replace(providerId: string, specs: Iterable<ToolSpec>): Array<{ tool: string; why: string }>;
}

/**
 * Builds the catalog. Argument schemas are compiled once when a tool is registered, never per call;
 * a tool whose schema does not compile is left out and reported. Built-in (static) providers come
 * first, so a remote tool can never shadow one of them.
 */
export function createToolRegistry(
  providers: ToolProvider[],
  onRejected: (tool: string, why: string) => void = () => {},
): ToolRegistry {
  const byProvider = new Map<string, Map<string, RegisteredTool>>();
  let index = new Map<string, RegisteredTool>();
  let sorted: RegisteredTool[] = [];

  const rebuild = () => {
    index = new Map();
    for (const tools of byProvider.values()) for (const [name, tool] of tools) index.set(name, tool);
    sorted = [...index.values()].sort((a, b) => a.definition.name.localeCompare(b.definition.name));
  };

  const replace = (providerId: string, specs: Iterable<ToolSpec>) => {
    const rejected: Array<{ tool: string; why: string }> = [];
    const tools = new Map<string, RegisteredTool>();
    for (const { definition, executor, secrets = [] } of specs) {
      const owner = [...byProvider.entries()].find(([id, t]) => id !== providerId && t.has(definition.name));
      if (owner || tools.has(definition.name)) {
        rejected.push({
          tool: definition.name,
          why: `the name is already used by ${owner?.[0] ?? providerId}`,
        });
        continue;
      }
      try {
        const origin = definition.source.kind === 'builtin' ? 'own' : 'remote';
        tools.set(definition.name, {
          definition,
          executor,
          secrets,
          validateArgs: compileArgsSchema(definition.inputSchema, origin),
        });
      } catch (error) {
        rejected.push({
          tool: definition.name,
          why: `input schema does not compile: ${(error as Error).message}`,
        });
      }
    }
    byProvider.set(providerId, tools);
    rebuild();
    for (const { tool, why } of rejected) onRejected(tool, why);
    return rejected;
  };

  for (const provider of providers) replace(provider.id, provider.tools());
  return { get: (name) => index.get(name), list: () => sorted, replace };
}
