import type { RetryPolicy } from './types.js';

/**
 * Delay before the retry that follows the `failedAttempts`-th failure (1 after the first failure).
 *
 * Exponential with "equal jitter": the ceiling doubles per failure (capped at maxDelayMs) and the delay
 * is drawn from [ceiling/2, ceiling]. Half fixed, half random keeps retries of many jobs failing
 * together spread out, while each delay is still at least the previous one (until the cap) — full
 * jitter would allow a retry sooner than the one before. BullMQ's built-in exponential backoff has
 * jitter but no cap, so both adapters use this function.
 */
export function backoffDelay(
  failedAttempts: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failedAttempts - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Completed jobs are kept this long so a repeated jobId is still recognised as a duplicate. */
export const KEEP_COMPLETED = { ageSeconds: 7 * 24 * 3600, count: 10_000 } as const;
/** Dead jobs are kept until retried; the count only bounds memory if nobody ever looks. */
export const KEEP_DEAD = { count: 100_000 } as const;

/** Both adapters reject the same names, so a name that works in one process also works split. */
export function assertJobName(name: string): void {
  // BullMQ builds keys as prefix:queue:..., so a ':' in a queue name is refused there.
  if (!name || name.includes(':')) throw new Error(`Invalid job name ${JSON.stringify(name)}: must be non-empty without ':'`);
}

export function assertJobOptions(options: { jobId?: string; attempts?: number; delayMs?: number }): void {
  if (options.jobId !== undefined && options.jobId === '') throw new Error('jobId must not be empty');
  if (options.attempts !== undefined && !(Number.isInteger(options.attempts) && options.attempts >= 1)) {
    throw new Error(`attempts must be an integer >= 1, got ${options.attempts}`);
  }
  if (options.delayMs !== undefined && !(options.delayMs >= 0)) throw new Error(`delayMs must be >= 0, got ${options.delayMs}`);
}

export function assertConcurrency(concurrency: number): void {
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new Error(`concurrency must be an integer >= 1, got ${concurrency}`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
