import type { Redis } from 'ioredis';
import { newToken, validTtl } from './shared.js';
import type { LockManager } from './types.js';

// Both scripts compare the token and act in one atomic step: a GET-then-DEL from the client could
// delete a lock that expired and was taken by someone else in between.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const EXTEND = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

interface LockScripts {
  eventlyLockRelease(key: string, token: string): Promise<number>;
  eventlyLockExtend(key: string, token: string, ttlMs: number): Promise<number>;
}

export interface RedisLocksOptions {
  redis: Redis;
  /** A namespace of its own, e.g. `evently:lock:`; a lock on `k` is the key `${prefix}k`. */
  prefix: string;
}

/**
 * Single-instance Redis locks (SET NX PX + token-checked release/extend). Not Redlock: a Redis
 * failover can lose a lock, so work guarded by one must still be safe to repeat (idempotent) or be
 * protected by the database (conditional updates) as well.
 */
export function createRedisLocks(options: RedisLocksOptions): LockManager {
  const { redis, prefix } = options;
  redis.defineCommand('eventlyLockRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('eventlyLockExtend', { numberOfKeys: 1, lua: EXTEND });
  const scripts = redis as unknown as LockScripts;

  return {
    kind: 'redis',
    async acquire(key, ttlMs) {
      const token = newToken();
      const ok = await redis.set(prefix + key, token, 'PX', validTtl(ttlMs), 'NX');
      return ok === 'OK' ? { key, token } : null;
    },
    async extend(lock, ttlMs) {
      return (await scripts.eventlyLockExtend(prefix + lock.key, lock.token, validTtl(ttlMs))) === 1;
    },
    async release(lock) {
      return (await scripts.eventlyLockRelease(prefix + lock.key, lock.token)) === 1;
    },
  };
}
