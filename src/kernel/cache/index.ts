export type { Cache, CacheSetOptions, CacheWrapOptions } from './types.js';
export type { CacheLogger } from './shared.js';
export { createMemoryCache, type MemoryCacheOptions } from './memory-cache.js';
export { createRedisCache, type RedisCacheOptions } from './redis-cache.js';
