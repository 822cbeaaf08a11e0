import { canonicalHash, canonicalJson, isRecord } from '@briefcase/core';
import { findLimitViolation, type LimitViolation, MAX_TOOL_DEFINITION_BYTES } from './limits.js';

/** A tool definition as an upstream server announced it, reduced to the fields briefcased uses. */
export interface UpstreamTool {
  /** 1–128 characters of `[A-Za-z0-9_.-]`. */
  name: string;
  /** Human-readable title. Hostile text: never show it to a model without review. */
  title?: string;
  /** Description. Hostile text: see {@link detectInstructionLikeText}. */
  description?: string;
  /** JSON Schema of the arguments; always an object schema (`type: "object"`). */
  inputSchema: object;
  /** JSON Schema of `structuredContent`, when the server declares one. */
  outputSchema?: object;
  /** Behaviour hints (`readOnlyHint`, `destructiveHint`, ...). Untrusted: hints, not guarantees. */
  annotations?: Record<string, unknown>;
}

/** A tool that was dropped from a listing, and why. `name` is a display-safe excerpt, if any. */
export interface DroppedTool {
  index: number;
  name: string | undefined;
  why: string;
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** True when `name` is a usable tool name: 1–128 characters of `[A-Za-z0-9_.-]`. */
export function isValidToolName(name: unknown): name is string {
  return typeof name === 'string' && TOOL_NAME.test(name);
}

/** A short, printable excerpt of a hostile string, for logs. */
export function displayExcerpt(value: unknown, max = 64): string | undefined {
  if (typeof value !== 'string') return undefined;
  // Drop control, format (zero-width, bidi) and unassigned characters before they reach a log line.
  const clean = value.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cn}]/gu, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

function optionalString(value: unknown): value is string | undefined | null {
  return value === undefined || value === null || typeof value === 'string';
}

/** Checks one raw tool entry; returns the reduced definition or the reason it is unusable. */
function checkTool(raw: unknown): UpstreamTool | string {
  if (!isRecord(raw)) return 'not an object';
  if (!isValidToolName(raw.name)) return 'name is not 1-128 characters of [A-Za-z0-9_.-]';
  // MCP requires `inputSchema` (and `outputSchema`, when present) to be an object schema.
  if (!isRecord(raw.inputSchema) || raw.inputSchema.type !== 'object') {
    return 'inputSchema is not a JSON Schema object with type "object"';
  }
  if (raw.outputSchema != null && (!isRecord(raw.outputSchema) || raw.outputSchema.type !== 'object')) {
    return 'outputSchema is not a JSON Schema object with type "object"';
  }
  if (!optionalString(raw.title) || !optionalString(raw.description))
    return 'title or description is not a string';
  if (raw.annotations != null && !isRecord(raw.annotations)) return 'annotations is not an object';
  const tool: UpstreamTool = { name: raw.name, inputSchema: raw.inputSchema };
  if (typeof raw.title === 'string') tool.title = raw.title;
  if (typeof raw.description === 'string') tool.description = raw.description;
  if (isRecord(raw.outputSchema)) tool.outputSchema = raw.outputSchema;
  if (isRecord(raw.annotations)) tool.annotations = raw.annotations;
  // Measured as canonical JSON: that is what gets hashed and pinned.
  const violation = findLimitViolation(tool, {
    maxBytes: MAX_TOOL_DEFINITION_BYTES,
    serialize: canonicalJson,
  });
  return violation ? whyUnusable(violation) : tool;
}

function whyUnusable(violation: LimitViolation): string {
  switch (violation.kind) {
    case 'too_deep':
      return `definition is nested deeper than ${violation.limit} levels`;
    case 'too_large':
      return `definition is larger than ${violation.limit} bytes`;
    case 'not_json':
      return 'definition is not representable as JSON';
  }
}

/**
 * Keeps the usable tools of a raw `tools/list` payload and reports the rest. Tools whose name
 * appears more than once are all dropped: which one the server would run is ambiguous.
 */
export function sanitizeTools(raw: readonly unknown[]): { tools: UpstreamTool[]; dropped: DroppedTool[] } {
  const dropped: DroppedTool[] = [];
  const checked: Array<{ index: number; tool: UpstreamTool }> = [];
  const counts = new Map<string, number>();
  raw.forEach((entry, index) => {
    const result = checkTool(entry);
    if (typeof result === 'string') {
      dropped.push({
        index,
        name: displayExcerpt(isRecord(entry) ? entry.name : undefined),
        why: result,
      });
      return;
    }
    checked.push({ index, tool: result });
    counts.set(result.name, (counts.get(result.name) ?? 0) + 1);
  });
  const tools: UpstreamTool[] = [];
  for (const { index, tool } of checked) {
    if ((counts.get(tool.name) ?? 0) > 1) {
      dropped.push({ index, name: tool.name, why: 'the name is listed more than once' });
    } else {
      tools.push(tool);
    }
  }
  dropped.sort((a, b) => a.index - b.index);
  return { tools, dropped };
}

/**
 * Identity of a tool definition, to pin it and detect "rug pulls" (a server silently changing what a
 * tool says or accepts after it was approved): SHA-256 hex of the RFC 8785 canonical JSON of
 * `{name, title, description, inputSchema, outputSchema, annotations}`. Key order and absent vs.
 * `undefined` fields do not change it; any change of content does.
 */
export function toolDefinitionHash(tool: UpstreamTool): string {
  return canonicalHash({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
  });
}
