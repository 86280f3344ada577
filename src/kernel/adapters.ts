import type { Config } from './config/index.js';
import type { Logger } from './logger.js';
import { withTimeout } from './db/database.js';
import type { DependencyCheck } from './http/health.routes.js';
import { createMemoryBus, createMemorySignals, createRedisBus, createRedisSignals, type EventBus, type FailedEvents, type Signals } from './messaging/index.js';
import { createBullQueue, createMemoryQueue, type JobQueue } from './jobs/index.js';
import { createMemoryCache, createRedisCache, type Cache } from './cache/index.js';
import { createMemoryRateLimiter, createRedisRateLimiter, type RateLimiter } from './ratelimit/index.js';
import { createMemoryRevocations, createRedisRevocations, type RevocationStore } from './auth/index.js';
import { openRedis, type RedisClient } from './redis.js';

export interface Adapters {
  kind: 'memory' | 'redis';
  bus: EventBus;
  /** Fan-out of hints to every process (live views). */
  signals: Signals;
  jobs: JobQueue;
  cache: Cache;
  rateLimiter: RateLimiter;
  revocations: RevocationStore;
  checks: DependencyCheck[];
  close(): Promise<void>;
}

/**
 * Redis when REDIS_URL is set, in-process otherwise (allowed only all-in-one: config refuses split
 * mode without Redis). Both sets implement the same interfaces and pass the same contract tests.
 */
export async function createAdapters(config: Config, logger: Logger, failed: FailedEvents): Promise<Adapters> {
  const retry = { attempts: config.jobs.attempts, baseDelayMs: config.jobs.baseDelayMs, maxDelayMs: config.jobs.maxDelayMs };
  if (!config.redis.url) {
    const log = logger.child({ component: 'adapters' });
    log.info('no REDIS_URL: using in-process bus, job queue, cache and rate limiter');
    const bus = createMemoryBus({ logger, failed, retry: { maxAttempts: config.bus.maxAttempts } });
    const jobs = createMemoryQueue({ retry, logger });
    const cache = createMemoryCache();
    return {
      kind: 'memory',
      bus,
      signals: createMemorySignals(logger),
      jobs,
      cache,
      rateLimiter: createMemoryRateLimiter(),
      revocations: createMemoryRevocations(),
      checks: [],
      async close() {
        await cache.close();
      },
    };
  }

  const url = config.redis.url;
  const target = { url, clusterNodes: config.redis.clusterNodes };
  const prefix = config.redis.prefix;
  const created: RedisClient[] = [];
  /** Blocking readers (streams, BullMQ) get their own connections and wait out outages. */
  const connect = (): RedisClient => {
    const r = openRedis(target, { maxRetriesPerRequest: null, enableReadyCheck: true });
    r.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
    created.push(r);
    return r;
  };
  // The shared client fails fast while Redis is down (no offline queue): callers decide between
  // failing open and failing closed instead of hanging.
  const redis = openRedis(target, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5_000 });
  let lastError: Error | undefined;
  redis.on('error', (err) => {
    lastError = err;
    logger.debug({ err: err.message }, 'redis connection error');
  });
  try {
    await withTimeout(redis.connect(), 10_000, 'no answer');
  } catch (e) {
    redis.disconnect();
    // ioredis rejects with "Connection is closed."; the reason is the last connection error.
    const reason = (lastError as NodeJS.ErrnoException | undefined)?.code ?? lastError?.message ?? (e as Error).message;
    throw new Error(`cannot reach Redis at ${redisAddress(url)} (REDIS_URL): ${reason}. Start Redis, fix REDIS_URL, or unset it to run all-in-one with in-process adapters`, { cause: e });
  }
  await requireNoEviction(redis, logger, config.env === 'production').catch((err: unknown) => {
    redis.disconnect();
    throw err;
  });
  const bus = createRedisBus({ redis, connect, prefix, consumerName: config.bus.instanceId, logger, failed, claimIdleMs: config.bus.claimIdleMs, maxDeliveries: config.bus.maxAttempts });
  // Each adds a hash tag of its own (redis.ts): the keys it uses together share a slot of a cluster.
  const jobs = createBullQueue({ connect, prefix, retry, logger });
  const cache = await createRedisCache({ redis, connect, prefix, logger });
  const signals = createRedisSignals({ redis, connect, prefix, logger });
  return {
    kind: 'redis',
    bus,
    signals,
    jobs,
    cache,
    rateLimiter: createRedisRateLimiter({ redis, prefix: `${prefix}rl:` }),
    revocations: createRedisRevocations({ redis, prefix }),
    checks: [{ name: 'redis', check: (ms) => withTimeout(redis.ping().then(() => undefined), ms, 'redis did not answer') }],
    async close() {
      await cache.close();
      await signals.close();
      await Promise.all(created.map((r) => r.quit().catch(() => r.disconnect())));
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * An evicting Redis could drop revocations (they have a TTL) or stream entries without anyone
 * noticing: Evently needs `maxmemory-policy noeviction`. Production refuses to start on an evicting
 * one; development warns. Managed services may refuse CONFIG: then their settings must say it.
 */
async function requireNoEviction(redis: RedisClient, logger: Logger, production: boolean): Promise<void> {
  let policy: string | undefined;
  try {
    [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
  } catch {
    logger.debug('could not read Redis maxmemory-policy (CONFIG refused)');
    return;
  }
  if (!policy || policy === 'noeviction') return;
  const why = `Redis runs with maxmemory-policy ${policy}: under memory pressure it would drop revocations or stream entries unseen. Set maxmemory-policy noeviction`;
  if (production) throw new Error(`${why} (production refuses to start on an evicting Redis)`);
  logger.warn({ maxmemory_policy: policy }, why);
}
