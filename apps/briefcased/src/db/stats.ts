import type { Db } from './open.js';

/** What the risk rules know about a tool's past: successful calls, typical argument size, highest cost. */
export interface ToolHistory {
  previousCalls: number;
  medianArgsBytes: number | null;
  maxCostMicroUsd: number | null;
}

export interface ToolStatsStore {
  history(tool: string): ToolHistory;
  recordSuccess(tool: string, argsBytes: number, costMicroUsd: number): void;
}

/**
 * Keeps an exponential moving average of argument size instead of a true median: O(1) per call,
 * and close enough for a rule that only fires at 8× the typical size.
 */
export function createToolStatsStore(db: Db): ToolStatsStore {
  const get = db.prepare<
    [string],
    { ok_calls: number; typical_args_bytes: number; max_cost_micro_usd: number }
  >('SELECT ok_calls, typical_args_bytes, max_cost_micro_usd FROM tool_stats WHERE tool = ?');
  const upsert = db.prepare(
    `INSERT INTO tool_stats (tool, ok_calls, typical_args_bytes, max_cost_micro_usd) VALUES (@tool, 1, @bytes, @cost)
     ON CONFLICT (tool) DO UPDATE SET ok_calls = ok_calls + 1,
       typical_args_bytes = typical_args_bytes * 0.9 + @bytes * 0.1,
       max_cost_micro_usd = max(max_cost_micro_usd, @cost)`,
  );
  return {
    history(tool) {
      const row = get.get(tool);
      if (!row) return { previousCalls: 0, medianArgsBytes: null, maxCostMicroUsd: null };
      return {
        previousCalls: row.ok_calls,
        medianArgsBytes: row.typical_args_bytes,
        maxCostMicroUsd: row.max_cost_micro_usd,
      };
    },
    recordSuccess(tool, argsBytes, costMicroUsd) {
      upsert.run({ tool, bytes: argsBytes, cost: costMicroUsd });
    },
  };
}
