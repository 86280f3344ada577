import { randomBytes } from 'node:crypto';
import { before, after, type TestContext } from 'node:test';
import { Redis } from 'ioredis';

/**
 * Redis-backed suites need REDIS_URL. Without it they are skipped, each of their tests reported as
 * skipped and counted in the summary `npm test` ends with; REQUIRE_REDIS=1 (set by .ci/run) turns
 * that skip into a failure so CI can never pass silently.
 */
export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}

export const REDIS_SKIP_REASON = 'REDIS_URL is not set (REQUIRE_REDIS=1 turns this into a failure)';

/**
 * Use as `describe(name, { skip: skipWithoutRedis() }, ...)` with `describe`, `it` and the hooks
 * imported from ./suite.js, not node:test: node:test would skip the suite without counting its tests.
 * README.md lists the files that do; test/docs/readme.test.ts keeps that list in step.
 */
export function skipWithoutRedis(): string | false {
  if (redisUrl()) return false;
  if (process.env.REQUIRE_REDIS === '1') {
    throw new Error('REQUIRE_REDIS=1 but REDIS_URL is not set: the Redis-backed suites cannot run');
  }
  return REDIS_SKIP_REASON;
}

/** A key prefix no other test run or test shares. */
export function uniquePrefix(label = 't'): string {
  return `evently:test:${label}:${randomBytes(6).toString('hex')}:`;
}

export function newRedis(): Redis {
  const url = redisUrl();
  if (!url) throw new Error('REDIS_URL is not set');
  return new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
}

/** Deletes every key under `prefix` (SCAN, never KEYS) with the given client (left open). */
export async function cleanupRedis(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export type { TestContext };

/** Deletes every key under `prefix` with a client of its own. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = newRedis();
  try {
    await cleanupRedis(redis, prefix);
  } finally {
    await redis.quit();
  }
}

/**
 * For contract suites run against Redis: opens `count` clients for the enclosing suite (separate
 * connections, so "parallel" calls really are) and returns a factory that builds one instance per
 * client under a fresh key prefix for each test. Everything under the suite's prefix is deleted after.
 */
export function perTestOnRedis<T>(label: string, make: (redis: Redis, prefix: string) => T, count = 4): () => T[] {
  // Without Redis the calling suite is skipped (its tests are declared, never run): nothing to open.
  if (!redisUrl()) return () => [];
  const suitePrefix = uniquePrefix(label);
  const clients: Redis[] = [];
  let n = 0;
  before(() => {
    for (let i = 0; i < count; i++) clients.push(newRedis());
  });
  after(async () => {
    await cleanupRedis(clients[0]!, suitePrefix);
    await Promise.all(clients.map((c) => c.quit()));
  });
  return () => {
    const prefix = `${suitePrefix}${n++}:`;
    return clients.map((redis) => make(redis, prefix));
  };
}
