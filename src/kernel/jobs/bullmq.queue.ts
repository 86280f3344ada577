import { randomUUID } from 'node:crypto';
import { type Job, type JobsOptions, Queue, UnrecoverableError, Worker } from 'bullmq';
import { hashTagged, type RedisClient as Redis } from '../redis.js';
import type { Logger } from 'pino';
import { currentContext, runWithContext } from '../context.js';
import { newId } from '../ids.js';
import { isPermanentJobError } from './errors.js';
import { assertConcurrency, assertJobName, assertJobOptions, backoffDelay, errorMessage, KEEP_COMPLETED, KEEP_DEAD } from './policy.js';
import type { DeadJob, JobHandler, JobQueue, RetryPolicy } from './types.js';

export interface BullQueueOptions {
  /** Returns a new connection with `maxRetriesPerRequest: null` (required by BullMQ workers). */
  connect: () => Redis;
  /** Key prefix; every key this queue writes starts with it. */
  prefix: string;
  retry: RetryPolicy;
  logger: Logger;
  /** Namespace of the BullMQ queues: job `x` lives in queue `<queueName>.x`. Default `jobs`. */
  queueName?: string;
}

/** What is stored as the BullMQ job's data. */
interface Envelope {
  data: unknown;
  correlationId: string | null;
  /** Unique per enqueue call: tells our add apart from an existing job with the same id. */
  token: string;
}

/** Not one of BullMQ's built-in names, so the worker's backoffStrategy (our formula) is used. */
const BACKOFF_TYPE = 'evently-jittered';

/**
 * BullMQ refuses ':' and integer-looking custom ids. Percent-encoding '%' and ':' (and the first
 * character of an integer-looking id) is reversible with decodeURIComponent, because every '%' left
 * in the encoded id is one of ours.
 */
export function encodeJobId(id: string): string {
  const escaped = id.replace(/%/g, '%25').replace(/:/g, '%3A');
  if (`${parseInt(escaped, 10)}` !== escaped) return escaped;
  return `%${escaped.charCodeAt(0).toString(16).toUpperCase()}${escaped.slice(1)}`;
}

export function decodeJobId(id: string): string {
  return decodeURIComponent(id);
}

/**
 * JobQueue on BullMQ. One BullMQ queue per job name rather than one queue with named jobs: a Worker
 * consumes a whole queue, so per-name concurrency and isolation (a slow or failing job type does not
 * hold up the others) need a queue each. Jobs get generated ids (UUIDv7) when none is given, so ids
 * mean the same thing in both adapters and no integer ids from BullMQ's counter ever leak out.
 */
export function createBullQueue(options: BullQueueOptions): JobQueue {
  const { retry, logger } = options;
  // BullMQ adds the ':' after the prefix itself; a trailing one (as uniquePrefix gives) is dropped, keys still start with it.
  // A queue's keys go together in BullMQ's scripts: one hash tag (BullMQ's advice for a cluster).
  const prefix = hashTagged(options.prefix, 'jobs').replace(/:+$/, '');
  const namespace = options.queueName ?? 'jobs';
  assertJobName(namespace);
  const queues = new Map<string, Queue<Envelope>>();
  const handlers = new Map<string, { handler: JobHandler<unknown>; concurrency: number }>();
  const workers: Worker<Envelope>[] = [];
  // One connection for all queues and workers; each Worker duplicates it for its blocking reads and closes that itself.
  let connection: Redis | undefined;
  let started = false;
  let stopping: Promise<void> | undefined;

  const connect = (): Redis => (connection ??= options.connect());
  const onError = (err: Error) => logger.error({ err }, 'job queue connection error');

  function queueFor(name: string): Queue<Envelope> {
    assertJobName(name);
    let queue = queues.get(name);
    if (!queue) {
      queue = new Queue<Envelope>(`${namespace}.${name}`, {
        connection: connect(),
        prefix,
        defaultJobOptions: {
          attempts: retry.attempts,
          backoff: { type: BACKOFF_TYPE },
          // Completed jobs are kept so that their ids still dedupe; dead ones stay in the failed set.
          removeOnComplete: { age: KEEP_COMPLETED.ageSeconds, count: KEEP_COMPLETED.count },
          removeOnFail: { count: KEEP_DEAD.count },
        },
      });
      queue.on('error', onError);
      queues.set(name, queue);
    }
    return queue;
  }

  async function startWorker(name: string, handler: JobHandler<unknown>, concurrency: number): Promise<void> {
    const worker = new Worker<Envelope>(
      `${namespace}.${name}`,
      async (job: Job<Envelope>) => {
        const id = decodeJobId(job.id!);
        const { data, correlationId } = job.data;
        const attempt = job.attemptsMade + 1;
        const maxAttempts = job.opts.attempts ?? 1;
        try {
          const result = await runWithContext({ requestId: correlationId ?? id }, () =>
            handler(data, { id, name, attempt, maxAttempts, correlationId }),
          );
          logger.debug({ requestId: correlationId ?? id, jobId: id, job: name, attempt, result }, 'job finished');
          return result;
        } catch (err) {
          const log = { requestId: correlationId ?? id, jobId: id, job: name, attempt, err };
          if (isPermanentJobError(err)) {
            logger.error(log, 'job failed permanently: dead-lettered');
            // BullMQ's own signal for "no more attempts"; the message stays the failure reason.
            throw new UnrecoverableError((err as Error).message);
          }
          if (attempt >= maxAttempts) logger.error(log, 'job failed its last attempt: dead-lettered');
          else logger.warn(log, 'job attempt failed: will retry');
          // BullMQ records err.message as the failure reason; a thrown string would be lost.
          throw err instanceof Error ? err : new Error(errorMessage(err));
        }
      },
      {
        connection: connect(),
        prefix,
        concurrency,
        settings: { backoffStrategy: (failedAttempts: number) => backoffDelay(failedAttempts, retry) },
      },
    );
    worker.on('error', onError);
    workers.push(worker);
    await worker.waitUntilReady();
  }

  return {
    kind: 'redis',

    async enqueue(name, data, jobOptions = {}) {
      if (stopping) throw new Error('job queue is stopped');
      assertJobOptions(jobOptions);
      const queue = queueFor(name);
      const id = jobOptions.jobId ?? newId();
      const token = randomUUID();
      const envelope: Envelope = { data, correlationId: currentContext()?.requestId ?? null, token };
      // Only set what was given: an explicit undefined would override the queue's defaults.
      const opts: JobsOptions = { jobId: encodeJobId(id) };
      if (jobOptions.delayMs) opts.delay = jobOptions.delayMs;
      if (jobOptions.attempts !== undefined) opts.attempts = jobOptions.attempts;
      // Adding an existing id is a no-op inside BullMQ's script, but add() answers the same either
      // way; the stored token says whose add created the job, which is exact even under races.
      await queue.add(name, envelope, opts);
      const stored = await queue.getJob(opts.jobId!);
      return { id, created: stored?.data.token === token };
    },

    process(name, handler, processOptions = {}) {
      assertJobName(name);
      if (handlers.has(name)) throw new Error(`a handler for job ${name} is already registered`);
      const concurrency = processOptions.concurrency ?? 1;
      assertConcurrency(concurrency);
      handlers.set(name, { handler: handler as JobHandler<unknown>, concurrency });
      if (started && !stopping) {
        startWorker(name, handler as JobHandler<unknown>, concurrency).catch(onError);
      }
    },

    async start() {
      if (stopping) throw new Error('job queue is stopped');
      if (started) return;
      started = true;
      await Promise.all([...handlers].map(([name, h]) => startWorker(name, h.handler, h.concurrency)));
    },

    async deadLetters(name, limit = 100) {
      const queue = queueFor(name);
      // getFailed(0, -1) would mean "all of them".
      if (limit <= 0) return [];
      const jobs = await queue.getFailed(0, limit - 1);
      return jobs
        .filter((job): job is Job<Envelope> => Boolean(job?.id))
        .map(
          (job): DeadJob => ({
            id: decodeJobId(job.id!),
            name,
            data: job.data.data,
            attempts: job.attemptsMade,
            error: job.failedReason ?? '',
            failedAt: new Date(job.finishedOn ?? job.timestamp).toISOString(),
          }),
        );
    },

    async counts() {
      // The names this process knows (handlers it runs, queues it used): the others' are theirs to report.
      const names = [...new Set([...handlers.keys(), ...queues.keys()])];
      return Promise.all(
        names.map(async (name) => {
          const c = await queueFor(name).getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed');
          return { name, waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), delayed: c.delayed ?? 0, active: c.active ?? 0, dead: c.failed ?? 0 };
        }),
      );
    },

    async retryDead(name, id) {
      const job = await queueFor(name).getJob(encodeJobId(id));
      if (!job || (await job.getState()) !== 'failed') return false;
      try {
        // A retried dead job gets a full set of attempts again.
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        return true;
      } catch (err) {
        // Lost a race with another retryDead (or a removal): the job is no longer dead.
        if ((await job.getState()) !== 'failed') return false;
        throw err;
      }
    },

    stop() {
      stopping ??= (async () => {
        // Worker.close() waits for the jobs it is running; queues and the connection go after.
        await Promise.all(workers.map((worker) => worker.close()));
        await Promise.all([...queues.values()].map((queue) => queue.close()));
        if (connection && connection.status !== 'end') await connection.quit();
      })();
      return stopping;
    },
  };
}
