export type { RateLimitDecision, RateLimiter, RateLimitRule } from './types.js';
export { createMemoryRateLimiter, createRedisRateLimiter, type RedisRateLimiterOptions } from './rate-limiter.js';
export { rateLimitHeaders } from './headers.js';
