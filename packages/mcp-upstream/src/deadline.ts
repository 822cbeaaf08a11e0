/** Abort reasons set by {@link runWithDeadline}, so a caller can tell which limit fired. */
export const DEADLINE_REASON = Symbol('briefcase.upstream.deadline');
/** Abort reason when the caller's own signal fired. */
export const CANCEL_REASON = Symbol('briefcase.upstream.cancel');

/** Which limit ended an operation early, if any. */
export type DeadlineOutcome = 'deadline' | 'cancelled' | null;

/** What stopped `signal`, if it was stopped by {@link runWithDeadline}. */
export function deadlineOutcome(signal: AbortSignal): DeadlineOutcome {
  if (!signal.aborted) return null;
  if (signal.reason === DEADLINE_REASON) return 'deadline';
  if (signal.reason === CANCEL_REASON) return 'cancelled';
  return null;
}

/**
 * Runs `work` with an AbortSignal that fires after `timeoutMs` or when `callerSignal` fires, and
 * settles no later than that, even if `work` ignores its signal (a hung upstream must never hang the
 * caller). `onAbort` builds the error for the early exit. A late rejection of `work` is swallowed so it
 * never becomes an unhandled rejection.
 */
export function runWithDeadline<T>(
  options: {
    timeoutMs: number;
    callerSignal?: AbortSignal | undefined;
    onAbort: (outcome: 'deadline' | 'cancelled') => Error;
  },
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const { callerSignal } = options;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
      action();
    };
    const abortWith = (outcome: 'deadline' | 'cancelled') => {
      controller.abort(outcome === 'deadline' ? DEADLINE_REASON : CANCEL_REASON);
      finish(() => reject(options.onAbort(outcome)));
    };
    const onCallerAbort = () => abortWith('cancelled');
    const timer = setTimeout(() => abortWith('deadline'), options.timeoutMs);
    if (callerSignal?.aborted) {
      abortWith('cancelled');
      return;
    }
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    let running: Promise<T>;
    try {
      running = work(controller.signal);
    } catch (error) {
      finish(() => reject(error));
      return;
    }
    running.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}

/** Resolves after `ms`; the timer never keeps the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
