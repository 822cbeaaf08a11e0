/** Why the daemon could not be reached. */
export type DaemonUnavailableReason =
  | 'not_running'
  | 'refused'
  | 'permission'
  | 'token_missing'
  | 'connection_lost';

/** What a person should do when briefcased cannot be reached. */
export const DAEMON_UNAVAILABLE_HINT =
  'Start briefcased with `npm start` (from the repository) or `briefcase daemon`. ' +
  'If it runs with another data dir, set BRIEFCASE_DATA_DIR to that directory.';

/**
 * briefcased is not running, not reachable, or has not written its token yet.
 * Deliberately not a BriefcaseError: no request reached the daemon, so no error code applies
 * (the CLI maps it to exit code 3).
 */
export class DaemonUnavailableError extends Error {
  /** Stable discriminator for callers that cannot use `instanceof` (duplicate module copies). */
  readonly code = 'daemon_unavailable' as const;
  readonly reason: DaemonUnavailableReason;
  readonly dataDir: string;
  /** An actionable next step for a person. */
  readonly hint: string;

  constructor(
    reason: DaemonUnavailableReason,
    message: string,
    dataDir: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonUnavailableError';
    this.reason = reason;
    this.dataDir = dataDir;
    this.hint = DAEMON_UNAVAILABLE_HINT;
  }
}

/** Type guard that survives duplicate module instances. */
export function isDaemonUnavailableError(value: unknown): value is DaemonUnavailableError {
  return (
    value instanceof DaemonUnavailableError ||
    (value instanceof Error && (value as { code?: unknown }).code === 'daemon_unavailable')
  );
}
