import type { CallToolResponse, ToolView } from '@briefcase/client';
import { isRecord } from '@briefcase/core';
import { type CallToolResult, CallToolResultSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';

/** `_meta` keys the gateway adds. A `<label>/` prefix keeps them apart from keys MCP itself defines. */
export const META_KEYS = {
  source: 'briefcase/source',
  category: 'briefcase/category',
  costMicroUsd: 'briefcase/costMicroUsd',
  provenance: 'briefcase/provenance',
  error: 'briefcase/error',
} as const;

/**
 * MCP requires `inputSchema.type` to be `"object"`. A schema without a `type` is made one (the daemon
 * only ever accepts object arguments, so that states what is true anyway); a schema of another type
 * describes a tool no call can reach, and the tool is left out rather than breaking the whole list
 * (clients reject a `tools/list` result with one malformed tool).
 */
function objectSchema(schema: unknown): Record<string, unknown> | undefined {
  if (!isRecord(schema)) return undefined;
  if (schema.type === undefined) return { type: 'object', ...schema };
  return schema.type === 'object' ? schema : undefined;
}

/** Turns a catalog entry into an MCP tool, or `undefined` when it cannot be described to MCP. */
export function toMcpTool(view: ToolView): Tool | undefined {
  const inputSchema = objectSchema(view.inputSchema);
  if (inputSchema === undefined) return undefined;
  const tool: Tool = {
    name: view.name,
    description: view.description,
    inputSchema: inputSchema as Tool['inputSchema'],
    annotations: { readOnlyHint: view.effect === 'read' },
    _meta: {
      [META_KEYS.source]: view.source,
      [META_KEYS.category]: view.category,
      [META_KEYS.costMicroUsd]: view.costMicroUsd,
    },
  };
  // The daemon may add a display title later; pass it on when it is a plain string.
  const title = (view as { title?: unknown }).title;
  if (typeof title === 'string' && title !== '') tool.title = title;
  const outputSchema = view.outputSchema === undefined ? undefined : objectSchema(view.outputSchema);
  if (outputSchema !== undefined) tool.outputSchema = outputSchema as Tool['outputSchema'];
  return tool;
}

/**
 * The MCP result of a successful call. Tools from remote MCP servers already answer with a
 * CallToolResult (redacted by the daemon) and pass through unchanged; any other result is shown as
 * JSON text and, when it is an object, as `structuredContent`. Provenance goes in `_meta`, written
 * last so an upstream server cannot forge it.
 */
export function toMcpResult(response: CallToolResponse): CallToolResult {
  const { result, provenance } = response;
  if (provenance.source?.kind === 'mcp' && CallToolResultSchema.safeParse(result).success) {
    const upstream = result as CallToolResult;
    return { ...upstream, _meta: { ...upstream._meta, [META_KEYS.provenance]: provenance } };
  }
  const mcp: CallToolResult = {
    content: [{ type: 'text', text: JSON.stringify(result) ?? 'null' }],
    _meta: { [META_KEYS.provenance]: provenance },
  };
  if (isRecord(result)) mcp.structuredContent = result;
  return mcp;
}
