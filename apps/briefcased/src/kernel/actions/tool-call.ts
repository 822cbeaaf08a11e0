import { BriefcaseError, isRecord, MAX_APPROVAL_ID_LENGTH, MAX_TOOL_NAME_LENGTH } from '@briefcase/core';
import type { CompiledPolicy } from '@briefcase/policy';
import { getTracer, withSpan } from '@briefcase/telemetry';
import type { ApprovalStore } from '../../db/approvals.js';
import type { BudgetStore } from '../../db/budgets.js';
import type { ToolStatsStore } from '../../db/stats.js';
import type { ApprovalEvents } from '../../events.js';
import { requestApproval } from '../../pipeline/approve.js';
import { decide } from '../../pipeline/decide.js';
import { lookupTool } from '../../pipeline/lookup.js';
import { denialMessage } from '../../pipeline/messages.js';
import type { PipelineSettings } from '../../pipeline/settings.js';
import { validateArgs } from '../../pipeline/validate.js';
import type { ToolRegistry } from '../../tools/registry.js';
import type { Action, Caller, Enforced, EnforceOptions } from '../action.js';
import type { Kernel } from '../enforce.js';
import { approvalIdDigest } from '../receipt-values.js';
import type { ReceiptFields } from '../receipt-writer.js';

/**
 * Said for an approval id that is not one (wrong type, too long). Not a denial, so nothing about the
 * policy: what is wrong, and that the call works without it.
 */
export const BAD_APPROVAL_ID_MESSAGE = `approvalId must be the id of an approval (a string of at most ${MAX_APPROVAL_ID_LENGTH} characters); repeat the call without it to ask for a new approval.`;

const tracer = getTracer('briefcased.kernel');

/** What a tool call reads to be prepared and decided. */
export interface ToolCallDeps {
  registry: ToolRegistry;
  approvals: ApprovalStore;
  budgets: BudgetStore;
  stats: ToolStatsStore;
  events: ApprovalEvents;
  policy: () => CompiledPolicy;
  settings: PipelineSettings;
}

/** A call as the agent sent it: every field is untrusted until validated. */
export interface ToolCallRequest {
  tool: unknown;
  args?: unknown;
  approvalId?: unknown;
}

/** The receipt fields of a tool call before its tool is known. */
const toolCallFields = (tool: unknown): ReceiptFields => ({
  tool: typeof tool === 'string' ? tool.slice(0, MAX_TOOL_NAME_LENGTH) : '',
  source: { kind: 'unknown' },
  argsHash: null,
  argsBytes: 0,
});

/**
 * A tool call rejected before the kernel could take it (malformed JSON, oversized body, a body the
 * contract refuses): for its receipt. From a body that parsed, the receipt still keeps what can be
 * kept safely: the tool name (bounded) and a digest of any approval id it named.
 */
export const rejectedToolCall = (body?: unknown): Action => {
  const request = isRecord(body) ? body : {};
  const fields = toolCallFields(request.tool);
  if (request.approvalId !== undefined) fields.approvalIdGiven = approvalIdDigest(request.approvalId);
  return {
    kind: 'tool_call',
    fields,
    prepare: () => {
      throw new BriefcaseError('invalid_args', 'The request is malformed.');
    },
  };
};

/**
 * A tool call as a kernel action: lookup and validation prepare it; the decision is the budget,
 * the risk score and Cedar's `call`/`call_without_approval`; approvals bind to tool + args hash.
 */
export function toolCallAction(deps: ToolCallDeps, request: ToolCallRequest, caller: Caller): Action {
  return {
    kind: 'tool_call',
    fields: toolCallFields(request.tool),
    prepare(fields) {
      const tool = withSpan(tracer, 'briefcase.lookup', {}, () => lookupTool(deps.registry, request.tool));
      const def = tool.definition;
      fields.source = { ...def.source };
      const validated = withSpan(tracer, 'briefcase.validate', {}, () =>
        validateArgs(def.name, tool.validateArgs, request.args),
      );
      fields.argsHash = validated.argsHash;
      fields.argsBytes = validated.argsBytes;
      const { approvalId } = request;
      if (
        approvalId !== undefined &&
        (typeof approvalId !== 'string' || approvalId.length > MAX_APPROVAL_ID_LENGTH)
      ) {
        fields.approvalIdGiven = approvalIdDigest(approvalId);
        throw new BriefcaseError('invalid_args', BAD_APPROVAL_ID_MESSAGE, {
          details: { errors: [{ path: '/approvalId', message: 'not an approval id' }] },
        });
      }
      return {
        decide: ({ nowMs, reservedMicroUsd }) =>
          decide(deps, { tool: def, caller, argsBytes: validated.argsBytes, nowMs, reservedMicroUsd }),
        denialMessage: (reasons, budget) => denialMessage(def.name, reasons, budget),
        approval: {
          tool: def.name,
          argsHash: validated.argsHash,
          approvalId,
          request: (reasons, nowMs) =>
            requestApproval(deps, def, validated.args, validated.argsHash, reasons, nowMs),
        },
        cost: { category: def.category, microUsd: def.costMicroUsd },
        executor: tool.executor,
        args: validated.args,
        secrets: tool.secrets,
        output: { label: def.name, allowlist: def.outputAllowlist },
        timeoutMs: deps.settings.toolTimeoutMs,
        onSuccess(receiptSeq, nowMs) {
          deps.budgets.record(def.category, def.costMicroUsd, nowMs, receiptSeq);
          deps.stats.recordSuccess(def.name, validated.argsBytes, def.costMicroUsd);
        },
      };
    },
  };
}

/** A successful call: the redacted result, and where it came from and what it cost. */
export interface CallResult {
  result: unknown;
  provenance: { tool: string; source: { kind: string; server?: string } } & Omit<
    Enforced,
    'value' | 'fields'
  >;
}

/** Tool calls through the kernel: `callTool`, and `recordRejected` for calls that could not be read. */
export function createToolCalls(kernel: Kernel, deps: ToolCallDeps) {
  return {
    /** Runs one tool call through the kernel. Throws a BriefcaseError carrying `details.receiptSeq`. */
    async callTool(
      request: ToolCallRequest,
      caller: Caller,
      options: EnforceOptions = {},
    ): Promise<CallResult> {
      const action = toolCallAction(deps, request, caller);
      const { value, fields, ...enforced } = await kernel.enforce(action, caller, options);
      const source = fields.source as CallResult['provenance']['source'];
      return { result: value, provenance: { tool: String(fields.tool), source, ...enforced } };
    },
    /**
     * Records a call the kernel never took: malformed JSON or an oversized body (no `body`), or a
     * parsed `body` the contract refused (its tool name and approval id digest are kept).
     */
    recordRejected: (caller: Caller, error: BriefcaseError, body?: unknown) =>
      kernel.recordRejected(rejectedToolCall(body), caller, error),
  };
}

/** The tool calls the API drives. */
export type ToolCalls = ReturnType<typeof createToolCalls>;
