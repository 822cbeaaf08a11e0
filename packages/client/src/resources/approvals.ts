import {
  ApprovalChangeEvent,
  ApprovalSnapshotEvent,
  approveApproval,
  compileCheck,
  denyApproval,
  getApproval,
  listApprovals,
} from '@briefcase/api';
import { type DaemonHttp, pathSegment, unexpected } from '../daemon-http.js';
import { eventData, readEventStream } from '../event-stream.js';
import type { Approval, ApprovalDecision, ApprovalListState, ApprovalWatchEvent } from '../types.js';
import type { RequestOptions } from './options.js';

/** What a person decides: list, look at, approve or deny requests, and follow them as they change. */
export interface ApprovalMethods {
  listApprovals(state?: ApprovalListState, options?: RequestOptions): Promise<Approval[]>;
  getApproval(id: string, options?: RequestOptions): Promise<Approval>;
  /** Approves a pending request; says whether a held call resumes with it (`callWaiting`). */
  approve(id: string, options?: RequestOptions): Promise<ApprovalDecision>;
  /** Denies a pending request; says whether a held call was waiting and is now refused (`callWaiting`). */
  deny(id: string, reason?: string, options?: RequestOptions): Promise<ApprovalDecision>;
  /**
   * Streams approval events (a snapshot first) to `onEvent`, awaiting it before reading further.
   * Resolves when `signal` aborts or the daemon ends the stream.
   */
  watchApprovals(
    onEvent: (event: ApprovalWatchEvent) => void | Promise<void>,
    signal?: AbortSignal,
  ): Promise<void>;
}

const list = compileCheck(listApprovals.schema.response[200]);
const one = compileCheck(getApproval.schema.response[200]);
const approved = compileCheck(approveApproval.schema.response[200]);
const denied = compileCheck(denyApproval.schema.response[200]);
const snapshot = compileCheck(ApprovalSnapshotEvent);
const change = compileCheck(ApprovalChangeEvent);

export function approvalMethods(http: DaemonHttp): ApprovalMethods {
  const approvalPath = (id: string) => `/v1/approvals/${pathSegment(id, 'approval id')}`;
  return {
    async listApprovals(state = 'pending', opts = {}) {
      const path = `/v1/approvals?state=${encodeURIComponent(state)}`;
      return (await http.json({ method: 'GET', path, signal: opts.signal }, list)).approvals;
    },

    async getApproval(id, opts = {}) {
      return (await http.json({ method: 'GET', path: approvalPath(id), signal: opts.signal }, one)).approval;
    },

    async approve(id, opts = {}) {
      const path = `${approvalPath(id)}/approve`;
      return await http.json({ method: 'POST', path, body: {}, signal: opts.signal }, approved);
    },

    async deny(id, reason, opts = {}) {
      const path = `${approvalPath(id)}/deny`;
      const body = reason === undefined ? {} : { reason };
      return await http.json({ method: 'POST', path, body, signal: opts.signal }, denied);
    },

    async watchApprovals(onEvent, signal) {
      const route = 'GET /v1/approvals/stream';
      const res = await http.openEventStream({ method: 'GET', path: '/v1/approvals/stream', signal });
      if (res === undefined) return;
      await readEventStream(http, res, signal, async (event) => {
        if (event.event === 'snapshot') {
          const data = eventData(route, event);
          if (!snapshot(data)) throw unexpected(route, `malformed snapshot: ${snapshot.firstError(data)}`);
          await onEvent({ event: 'snapshot', ...data });
        } else if (event.event === 'approval') {
          const data = eventData(route, event);
          if (!change(data)) throw unexpected(route, `malformed approval event: ${change.firstError(data)}`);
          await onEvent({ event: 'approval', ...data });
        }
        // Other event kinds are later additions: ignored.
      });
    },
  };
}
