/** Tunables of the pipeline; defaults in `DEFAULT_PIPELINE_SETTINGS`. */
export interface PipelineSettings {
  approvalTtlMs: number;
  riskThreshold: number;
  budgetOverrun: 'approve' | 'deny';
  maxResultBytes: number;
  toolTimeoutMs: number;
}

/** The settings the daemon starts with unless its options override them. */
export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  approvalTtlMs: 10 * 60_000,
  riskThreshold: 60,
  budgetOverrun: 'approve',
  maxResultBytes: 256 * 1024,
  toolTimeoutMs: 30_000,
};
