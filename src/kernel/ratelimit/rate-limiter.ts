import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from './types.js';

type Build = (rule: RateLimitRule, windowSeconds: number) => RateLimiterAbstract;

/**
 * rate-limiter-flexible counts windows in whole seconds, and its Redis store treats a window under
 * one second as "never expires". Windows are therefore rounded up to whole seconds (never down: a
 * longer window only ever allows fewer requests), the same way for both stores.
 */
export function windowSeconds(rule: RateLimitRule): number {
  return Math.max(1, Math.ceil(rule.windowMs / 1000));
}

function createRateLimiter(kind: RateLimiter['kind'], build: Build): RateLimiter {
  // One library limiter per rule name; a second rule with the same name but other numbers would
  // silently share (and misread) the first one's counters, so it is refused.
  const limiters = new Map<string, { rule: RateLimitRule; limiter: RateLimiterAbstract }>();

  const limiterFor = (rule: RateLimitRule): RateLimiterAbstract => {
    const known = limiters.get(rule.name);
    if (known) {
      if (known.rule.points !== rule.points || known.rule.windowMs !== rule.windowMs) {
        throw new Error(`rate limit rule "${rule.name}" is already defined with other points/windowMs`);
      }
      return known.limiter;
    }
    const limiter = build(rule, windowSeconds(rule));
    limiters.set(rule.name, { rule: { ...rule }, limiter });
    return limiter;
  };

  const decision = (allowed: boolean, rule: RateLimitRule, res: RateLimiterRes): RateLimitDecision => ({
    allowed,
    limit: rule.points,
    remaining: res.remainingPoints,
    resetMs: Math.max(0, res.msBeforeNext),
  });

  return {
    kind,
    async hit(rule, key, points = 1) {
      const limiter = limiterFor(rule);
      try {
        return decision(true, rule, await limiter.consume(key, points));
      } catch (rejection) {
        // The library rejects with a RateLimiterRes when the limit is exceeded, with an Error when the store fails.
        if (rejection instanceof RateLimiterRes) return decision(false, rule, rejection);
        throw rejection;
      }
    },
    async reset(rule, key) {
      await limiterFor(rule).delete(key);
    },
  };
}

/** Counters in this process only: for the single-process mode. */
export function createMemoryRateLimiter(): RateLimiter {
  return createRateLimiter('memory', (rule, duration) =>
    new RateLimiterMemory({ points: rule.points, duration, keyPrefix: rule.name }),
  );
}

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** A namespace of its own, e.g. `evently:rl:`; keys are `${prefix}${rule.name}:${key}`. */
  prefix: string;
}

/**
 * Counts in Redis with the library's Lua increment, so parallel hits from any number of processes
 * are atomic. ioredis is the library's default client: only `storeClient` is given
 * (`useRedisPackage` is for node-redis v4+ and would break with ioredis).
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  return createRateLimiter('redis', (rule, duration) =>
    new RateLimiterRedis({
      storeClient: options.redis,
      points: rule.points,
      duration,
      keyPrefix: `${options.prefix}${rule.name}`,
    }),
  );
}
