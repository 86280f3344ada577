export type { LockHandle, LockManager } from './types.js';
export { createMemoryLocks } from './memory-locks.js';
export { createRedisLocks, type RedisLocksOptions } from './redis-locks.js';
