import type { ToolDefinition } from '@briefcase/core';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { compileArgsSchema } from '../pipeline/validate.js';
import type { ToolExecutor, ToolProvider } from './types.js';

/** A tool ready for the pipeline: its definition, its executor and its compiled argument validator. */
export interface RegisteredTool {
  definition: ToolDefinition;
  executor: ToolExecutor;
  validateArgs: ValidateFunction;
}

export interface ToolRegistry {
  get(name: string): RegisteredTool | undefined;
  list(): RegisteredTool[];
}

/**
 * Builds the catalog from providers. Argument schemas are compiled once here, not per call;
 * a tool whose schema does not compile under Ajv strict mode is left out and reported.
 */
export function createToolRegistry(
  providers: ToolProvider[],
  onRejected: (tool: string, why: string) => void = () => {},
): ToolRegistry {
  const tools = new Map<string, RegisteredTool>();
  for (const provider of providers) {
    for (const { definition, executor } of provider.tools()) {
      if (tools.has(definition.name)) {
        onRejected(definition.name, `duplicate tool name from provider ${provider.id}`);
        continue;
      }
      try {
        tools.set(definition.name, {
          definition,
          executor,
          validateArgs: compileArgsSchema(definition.inputSchema),
        });
      } catch (error) {
        onRejected(definition.name, `input schema does not compile: ${(error as Error).message}`);
      }
    }
  }
  const sorted = [...tools.values()].sort((a, b) => a.definition.name.localeCompare(b.definition.name));
  return { get: (name) => tools.get(name), list: () => sorted };
}
