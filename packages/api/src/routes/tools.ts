import { MAX_APPROVAL_ID_LENGTH, MAX_APPROVAL_WAIT_MS, MAX_TOOL_NAME_LENGTH } from '@briefcase/core';
import { defineRoute, errorResponses } from '../route.js';
import { JsonObject, Nullable, Ref } from '../schema-kit.js';
import { Tool, ToolSource } from '../shared.js';
import { Type } from '../type.js';
import { BINDING_PROPERTIES } from './binding.js';

/** Longest a call may wait for a person's decision (`waitMs`). */

/** Where a result came from, what it cost and what was redacted from it. */
export const CallProvenance = Type.Object({
  tool: Type.String(),
  source: Ref(ToolSource),
  receiptSeq: Type.Integer(),
  receiptHash: Type.String(),
  costMicroUsd: Type.Integer(),
  approvalId: Nullable(Type.String()),
  redactions: Type.Integer({ description: 'how many values were redacted from the result' }),
  durationMs: Type.Number(),
});

export const listTools = defineRoute('GET', '/v1/tools', {
  summary: 'The tool catalog',
  response: { 200: Type.Object({ tools: Type.Array(Ref(Tool)) }), ...errorResponses(401) },
});

export const callTool = defineRoute('POST', '/v1/tools/call', {
  summary: 'Call a tool through the enforcement pipeline',
  description:
    'Validates, decides (policy, budget, risk), asks for approval when needed, executes, redacts and writes a receipt. Every attempt, successful or not, writes exactly one receipt; errors carry `details.receiptSeq`. After a person approves, repeat the exact same call (with or without `approvalId`).',
  body: Type.Object(
    {
      tool: Type.String({ minLength: 1, maxLength: MAX_TOOL_NAME_LENGTH }),
      args: Type.Optional(JsonObject()),
      approvalId: Type.Optional(Type.String({ maxLength: MAX_APPROVAL_ID_LENGTH })),
      waitMs: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: MAX_APPROVAL_WAIT_MS,
          description:
            'When the call needs approval, hold the request up to this long while a person decides; approved in time, the call runs and its result is returned.',
        }),
      ),
      ...BINDING_PROPERTIES,
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({ result: Type.Unknown(), provenance: CallProvenance }),
    ...errorResponses(400, 401, 402, 403, 404, 409, 413, 415, 424, 500, 502),
  },
});
