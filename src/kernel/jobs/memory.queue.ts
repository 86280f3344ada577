import type { Logger } from 'pino';
import { currentContext, runWithContext } from '../context.js';
import { newId } from '../ids.js';
import { isPermanentJobError } from './errors.js';
import { assertConcurrency, assertJobName, assertJobOptions, backoffDelay, errorMessage, KEEP_COMPLETED, KEEP_DEAD } from './policy.js';
import type { DeadJob, JobContext, JobHandler, JobQueue, RetryPolicy } from './types.js';

export interface MemoryQueueOptions {
  retry: RetryPolicy;
  logger: Logger;
}

interface MemoryJob {
  id: string;
  name: string;
  /** Stored as JSON and parsed per attempt, like BullMQ: handlers never share or mutate the caller's object. */
  json: string | undefined;
  correlationId: string | null;
  attempts: number;
  attemptsMade: number;
  state: 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';
  error?: string;
  finishedAt?: number;
}

/** One lane per job name, as BullMQ has one queue per name: concurrency is per name. */
interface Lane {
  handler?: JobHandler<unknown>;
  concurrency: number;
  active: number;
  ready: MemoryJob[];
  jobs: Map<string, MemoryJob>;
  /** In finishing order, for retention. */
  completed: MemoryJob[];
  dead: MemoryJob[];
}

/** The in-process JobQueue for the single-process mode: same semantics as the BullMQ one, not durable. */
export function createMemoryQueue({ retry, logger }: MemoryQueueOptions): JobQueue {
  const lanes = new Map<string, Lane>();
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let started = false;
  let stopping: Promise<void> | undefined;

  function laneFor(name: string): Lane {
    assertJobName(name);
    let lane = lanes.get(name);
    if (!lane) {
      lane = { concurrency: 1, active: 0, ready: [], jobs: new Map(), completed: [], dead: [] };
      lanes.set(name, lane);
    }
    return lane;
  }

  function forgetOldCompleted(lane: Lane, now: number): void {
    const oldest = now - KEEP_COMPLETED.ageSeconds * 1000;
    while (lane.completed.length > KEEP_COMPLETED.count || (lane.completed[0]?.finishedAt ?? Infinity) < oldest) {
      lane.jobs.delete(lane.completed.shift()!.id);
    }
  }

  function pump(lane: Lane): void {
    if (!started || stopping || !lane.handler) return;
    while (lane.active < lane.concurrency && lane.ready.length > 0) run(lane, lane.handler, lane.ready.shift()!);
  }

  function schedule(lane: Lane, job: MemoryJob, delayMs: number): void {
    job.state = 'delayed';
    const timer = setTimeout(() => {
      timers.delete(timer);
      job.state = 'waiting';
      lane.ready.push(job);
      pump(lane);
    }, delayMs);
    timers.add(timer);
  }

  function run(lane: Lane, handler: JobHandler<unknown>, job: MemoryJob): void {
    lane.active++;
    job.state = 'active';
    const ctx: JobContext = { id: job.id, name: job.name, attempt: job.attemptsMade + 1, maxAttempts: job.attempts, correlationId: job.correlationId };
    const data: unknown = job.json === undefined ? undefined : JSON.parse(job.json);
    const log = logger.child({ requestId: job.correlationId ?? job.id, jobId: job.id, job: job.name, attempt: ctx.attempt });
    const attempt = async (): Promise<void> => {
      try {
        const result = await runWithContext({ requestId: job.correlationId ?? job.id }, () => handler(data, ctx));
        job.attemptsMade++;
        job.state = 'completed';
        job.finishedAt = Date.now();
        lane.completed.push(job);
        forgetOldCompleted(lane, job.finishedAt);
        log.debug({ result }, 'job finished');
      } catch (err) {
        job.attemptsMade++;
        job.error = errorMessage(err);
        const permanent = isPermanentJobError(err);
        if (permanent || job.attemptsMade >= job.attempts) {
          job.state = 'failed';
          job.finishedAt = Date.now();
          lane.dead.push(job);
          if (lane.dead.length > KEEP_DEAD.count) lane.jobs.delete(lane.dead.shift()!.id);
          log.error({ err }, permanent ? 'job failed permanently: dead-lettered' : 'job failed its last attempt: dead-lettered');
        } else {
          log.warn({ err }, 'job attempt failed: will retry');
          // After stop() nothing may keep the process alive; the job is lost with the process anyway.
          if (!stopping) schedule(lane, job, backoffDelay(job.attemptsMade, retry));
        }
      }
    };
    const execution = attempt().finally(() => {
      lane.active--;
      inFlight.delete(execution);
      pump(lane);
    });
    inFlight.add(execution);
  }

  return {
    kind: 'memory',

    async enqueue(name, data, options = {}) {
      if (stopping) throw new Error('job queue is stopped');
      assertJobOptions(options);
      const lane = laneFor(name);
      forgetOldCompleted(lane, Date.now());
      const id = options.jobId ?? newId();
      if (lane.jobs.has(id)) return { id, created: false };
      const job: MemoryJob = {
        id,
        name,
        json: data === undefined ? undefined : JSON.stringify(data),
        correlationId: currentContext()?.requestId ?? null,
        attempts: options.attempts ?? retry.attempts,
        attemptsMade: 0,
        state: 'waiting',
      };
      lane.jobs.set(id, job);
      if (options.delayMs) schedule(lane, job, options.delayMs);
      else lane.ready.push(job);
      pump(lane);
      return { id, created: true };
    },

    process(name, handler, options = {}) {
      const lane = laneFor(name);
      if (lane.handler) throw new Error(`a handler for job ${name} is already registered`);
      const concurrency = options.concurrency ?? 1;
      assertConcurrency(concurrency);
      lane.concurrency = concurrency;
      lane.handler = handler as JobHandler<unknown>;
      pump(lane);
    },

    async start() {
      if (stopping) throw new Error('job queue is stopped');
      started = true;
      for (const lane of lanes.values()) pump(lane);
    },

    async counts() {
      return [...lanes].map(([name, lane]) => {
        const c = { name, waiting: 0, delayed: 0, active: 0, dead: 0 };
        for (const job of lane.jobs.values()) {
          if (job.state === 'waiting') c.waiting++;
          else if (job.state === 'delayed') c.delayed++;
          else if (job.state === 'active') c.active++;
          else if (job.state === 'failed') c.dead++;
        }
        return c;
      });
    },

    async deadLetters(name, limit = 100) {
      const lane = laneFor(name);
      if (limit <= 0) return [];
      return lane.dead
        .slice(-limit)
        .reverse()
        .map(
          (job): DeadJob => ({
            id: job.id,
            name: job.name,
            data: job.json === undefined ? undefined : JSON.parse(job.json),
            attempts: job.attemptsMade,
            error: job.error ?? '',
            failedAt: new Date(job.finishedAt ?? 0).toISOString(),
          }),
        );
    },

    async retryDead(name, id) {
      const lane = laneFor(name);
      const index = lane.dead.findIndex((job) => job.id === id);
      if (index < 0) return false;
      const [job] = lane.dead.splice(index, 1);
      // A retried dead job gets a full set of attempts again (BullMQ: resetAttemptsMade).
      job!.attemptsMade = 0;
      job!.state = 'waiting';
      lane.ready.push(job!);
      pump(lane);
      return true;
    },

    stop() {
      stopping ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}
