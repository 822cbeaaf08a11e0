import { callTool, compileCheck, listTools } from '@briefcase/api';
import type { DaemonHttp } from '../daemon-http.js';
import { traceContextFromMeta } from '../trace-context.js';
import type { CallToolRequest, CallToolResponse, ToolView } from '../types.js';
import type { CallToolOptions, RequestOptions } from './options.js';

/** The catalog and the one way to call a tool. */
export interface ToolMethods {
  listTools(options?: RequestOptions): Promise<ToolView[]>;
  /** Throws BriefcaseError (`approval_required` carries `approvalId`) when the call does not run. */
  callTool(call: CallToolRequest, options?: CallToolOptions): Promise<CallToolResponse>;
}

const catalog = compileCheck(listTools.schema.response[200]);
// The result itself is not walked (`result` may be anything): checking a call's answer costs
// the provenance members only, on the hot path of every tool call.
const callAnswer = compileCheck(callTool.schema.response[200]);

export function toolMethods(http: DaemonHttp): ToolMethods {
  return {
    async listTools(opts = {}) {
      return (await http.json({ method: 'GET', path: '/v1/tools', signal: opts.signal }, catalog)).tools;
    },

    callTool(call, opts = {}) {
      const request: CallToolRequest = { tool: call.tool, args: call.args ?? {} };
      if (call.approvalId !== undefined) request.approvalId = call.approvalId;
      if (call.waitMs !== undefined) request.waitMs = call.waitMs;
      if (call.channel !== undefined) request.channel = call.channel;
      if (call.ref !== undefined) request.ref = call.ref;
      if (call.progress !== undefined) request.progress = call.progress;
      return http.json(
        {
          method: 'POST',
          path: '/v1/tools/call',
          body: request,
          signal: opts.signal,
          headers: traceContextFromMeta(opts),
        },
        callAnswer,
      );
    },
  };
}
