import { randomBytes } from 'node:crypto';
import { before, after, type TestContext } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { openRedis, scanKeys, type RedisClient, type RedisTarget } from '../../src/kernel/index.js';

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

/**
 * Where the Redis-backed suites run: the Redis of REDIS_URL, and the three-node Redis Cluster that
 * `npm test` starts (TEST_REDIS_CLUSTER, see redis-cluster.ts). A suite declared per target runs on
 * each; without REDIS_URL the `redis` one is declared and skipped.
 */
export interface RedisTestTarget {
  name: 'redis' | 'redis cluster';
  target: () => RedisTarget;
}

export const SINGLE_REDIS: RedisTestTarget = { name: 'redis', target: () => ({ url: redisUrl() ?? 'redis://unset' }) };

export function redisTargets(): RedisTestTarget[] {
  const nodes = process.env.TEST_REDIS_CLUSTER?.split(',').filter(Boolean);
  if (!redisUrl() || !nodes?.length) return [SINGLE_REDIS];
  const [first, ...rest] = nodes.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) }));
  return [SINGLE_REDIS, { name: 'redis cluster', target: () => ({ url: `redis://${first!.host}:${first!.port}`, clusterNodes: rest }) }];
}

/** The environment that points Evently at a target (REDIS_URL, and REDIS_CLUSTER_NODES for a cluster). */
export function redisEnv(t: RedisTestTarget): Record<string, string> {
  const target = t.target();
  return { REDIS_URL: target.url, ...(target.clusterNodes ? { REDIS_CLUSTER_NODES: target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',') } : {}) };
}

export function newRedis(t: RedisTestTarget = SINGLE_REDIS): RedisClient {
  if (!redisUrl()) throw new Error('REDIS_URL is not set');
  return openRedis(t.target(), { maxRetriesPerRequest: null, lazyConnect: false });
}

/**
 * A client of the target's kind whose every command fails at once: no server answers it. A cluster
 * client keeps trying to connect, as Evently's does in an outage (one that gave up for good leaves
 * pipelines waiting forever): disconnect it after use.
 */
export function brokenRedis(t: RedisTestTarget = SINGLE_REDIS): RedisClient {
  const client = t.name === 'redis cluster'
    ? new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true, enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } })
    : new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  return client;
}

/** Deletes every key under `prefix` (SCAN on every node, never KEYS) with the given client (left open). */
export async function cleanupRedis(redis: RedisClient, prefix: string): Promise<void> {
  // One key per UNLINK: in a cluster, one node's keys may still be in different slots.
  await scanKeys(redis, `${prefix}*`, async (keys, node) => void (await Promise.all(keys.map((k) => node.unlink(k)))));
}

export type { TestContext };

/** Deletes every key under `prefix` with a client of its own. */
export async function dropPrefix(prefix: string, t: RedisTestTarget = SINGLE_REDIS): Promise<void> {
  const redis = newRedis(t);
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
export function perTestOnRedis<T>(label: string, make: (redis: RedisClient, prefix: string) => T, count = 4, t: RedisTestTarget = SINGLE_REDIS): () => T[] {
  // Without Redis the calling suite is skipped (its tests are declared, never run): nothing to open.
  if (!redisUrl()) return () => [];
  const suitePrefix = uniquePrefix(label);
  const clients: RedisClient[] = [];
  let n = 0;
  before(() => {
    for (let i = 0; i < count; i++) clients.push(newRedis(t));
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
