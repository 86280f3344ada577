export interface JobOptions {
  /** Idempotent id: enqueueing the same id again while the job is known has no effect. */
  jobId?: string;
  /** Delay before the first attempt. */
  delayMs?: number;
  /** Total attempts including the first (default from the queue's settings). */
  attempts?: number;
}

export interface JobContext {
  id: string;
  name: string;
  /** 1 on the first attempt. */
  attempt: number;
  /** Attempts this job gets in all: `attempt === maxAttempts` is the last one before the dead-letter set. */
  maxAttempts: number;
  /** The request id that caused the job, when there was one. */
  correlationId: string | null;
}

/**
 * A job's handler returns `done` or `skipped` (nothing to do); throwing means "retry", except a
 * PermanentJobError, which dead-letters the job at once.
 */
export type JobResult = 'done' | 'skipped';
export type JobHandler<T = unknown> = (data: T, ctx: JobContext) => Promise<JobResult>;

export interface DeadJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  error: string;
  failedAt: string;
}

export interface RetryPolicy {
  attempts: number;
  /** First backoff; attempt n waits about baseDelayMs * 2^(n-1), with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * A durable job queue. Jobs are retried with exponential backoff and jitter; after the last failed
 * attempt they are kept in a dead-letter set that can be listed and retried.
 */
export interface JobQueue {
  readonly kind: 'memory' | 'redis';
  enqueue<T>(name: string, data: T, options?: JobOptions): Promise<{ id: string; created: boolean }>;
  /** Registers the handler for `name`; processing starts with start(). */
  process<T>(name: string, handler: JobHandler<T>, options?: { concurrency?: number }): void;
  start(): Promise<void>;
  deadLetters(name: string, limit?: number): Promise<DeadJob[]>;
  /** Moves a dead job back to waiting; false when no such dead job. */
  retryDead(name: string, id: string): Promise<boolean>;
  /** Jobs per name by state, for metrics: the queue's depth (waiting, delayed, active) and its dead ones. */
  counts(): Promise<JobCounts[]>;
  /** Waits for jobs in flight, then closes. */
  stop(): Promise<void>;
}

export interface JobCounts {
  name: string;
  waiting: number;
  delayed: number;
  active: number;
  dead: number;
}
