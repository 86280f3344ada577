import type { RedisClient as Redis } from '../redis.js';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from './types.js';

/**
 * Token buckets by GCRA (the generic cell rate algorithm): a rule of N per window is a bucket of N
 * tokens refilled one every window/N. Unlike fixed windows there is no boundary where 2N requests
 * pass in a moment (SPEC §3 asks for a sliding window or a token bucket). Each key is one number,
 * its "theoretical arrival time" (TAT): the bucket is full again at TAT, and a hit of cost c is
 * allowed when TAT + c·interval − window ≤ now.
 *
 * Written here rather than taken from rate-limiter-flexible (used before): its stores count in fixed
 * windows only, and no maintained ioredis library offers a token bucket with an in-process twin.
 */
interface Gcra {
  allowed: boolean;
  /** Whole tokens left after this hit (or available now, for a refusal). */
  remaining: number;
  /** Refused: until one more hit of this cost fits. Allowed: until the bucket is full again. */
  resetMs: number;
}

/** Sub-millisecond float error must never refuse the N-th of N back-to-back hits. */
const EPSILON_MS = 0.5;

function gcra(tatStored: number | undefined, now: number, rule: RateLimitRule, cost: number): { decision: Gcra; tat: number } {
  const interval = rule.windowMs / rule.points;
  // Clamped to one window ahead: a rule whose window was shortened in config must not keep a key
  // locked out for the rest of the old, longer window.
  const tat = Math.min(Math.max(tatStored ?? now, now), now + rule.windowMs);
  const next = tat + interval * cost;
  const allowAt = next - rule.windowMs;
  if (allowAt - now > EPSILON_MS) {
    return { tat, decision: { allowed: false, remaining: tokens(rule, interval, tat - now), resetMs: Math.ceil(allowAt - now) } };
  }
  return { tat: next, decision: { allowed: true, remaining: tokens(rule, interval, next - now), resetMs: Math.ceil(next - now) } };
}

function tokens(rule: RateLimitRule, interval: number, debtMs: number): number {
  return Math.max(0, Math.floor((rule.windowMs - debtMs) / interval + 1e-6));
}

/** The same algorithm in Lua, atomic per key; the clock is Redis's, so replicas agree on "now". */
const GCRA_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat > now + window then tat = now + window end
local nxt = tat + interval * cost
local allow_at = nxt - window
if allow_at - now > ${EPSILON_MS} then
  return {0, tostring(tat - now), tostring(allow_at - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.max(1, math.ceil(nxt - now)))
return {1, tostring(nxt - now), tostring(nxt - now)}
`;

type Store = (rule: RateLimitRule, key: string, cost: number) => Promise<Gcra>;

function createRateLimiter(kind: RateLimiter['kind'], store: Store, forget: (rule: RateLimitRule, key: string) => Promise<void>): RateLimiter {
  // A second rule with the same name but other numbers would silently share (and misread) the
  // first one's buckets, so it is refused.
  const rules = new Map<string, RateLimitRule>();
  const check = (rule: RateLimitRule): void => {
    if (!(rule.points >= 1 && rule.windowMs >= 1)) throw new Error(`rate limit rule "${rule.name}" needs points ≥ 1 and windowMs ≥ 1`);
    const known = rules.get(rule.name);
    if (!known) rules.set(rule.name, { ...rule });
    else if (known.points !== rule.points || known.windowMs !== rule.windowMs) {
      throw new Error(`rate limit rule "${rule.name}" is already defined with other points/windowMs`);
    }
  };
  return {
    kind,
    async hit(rule, key, points = 1): Promise<RateLimitDecision> {
      check(rule);
      // A hit costing more than the bucket holds could never pass: a caller bug, not a refusal.
      if (!(points >= 1 && points <= rule.points)) throw new Error(`rate limit hit of ${points} points on "${rule.name}" (1..${rule.points})`);
      const d = await store(rule, key, points);
      return { allowed: d.allowed, limit: rule.points, remaining: d.remaining, resetMs: d.resetMs };
    },
    async reset(rule, key) {
      check(rule);
      await forget(rule, key);
    },
  };
}

/** Buckets in this process only: for the single-process mode. */
export function createMemoryRateLimiter(now: () => number = () => performance.timeOrigin + performance.now()): RateLimiter {
  const tats = new Map<string, number>();
  let nextPurge = 0;
  const id = (rule: RateLimitRule, key: string) => `${rule.name}:${key}`;
  return createRateLimiter('memory', async (rule, key, cost) => {
    const t = now();
    if (t >= nextPurge) {
      // A bucket whose TAT has passed is full: the same as no entry, so it can go.
      for (const [k, tat] of tats) if (tat <= t) tats.delete(k);
      nextPurge = t + 60_000;
    }
    const { decision, tat } = gcra(tats.get(id(rule, key)), t, rule, cost);
    if (decision.allowed) tats.set(id(rule, key), tat);
    return decision;
  }, async (rule, key) => void tats.delete(id(rule, key)));
}

export interface RedisRateLimiterOptions {
  redis: Redis;
  /** A namespace of its own, e.g. `evently:rl:`; keys are `${prefix}${rule.name}:${key}`. */
  prefix: string;
}

/** Buckets in Redis, one key each, updated by one Lua script: parallel hits from any process are atomic. */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const { redis, prefix } = options;
  const id = (rule: RateLimitRule, key: string) => `${prefix}${rule.name}:${key}`;
  return createRateLimiter('redis', async (rule, key, cost) => {
    const [allowed, debt, reset] = (await redis.eval(GCRA_LUA, 1, id(rule, key), rule.windowMs / rule.points, rule.windowMs, cost)) as [number, string, string];
    const interval = rule.windowMs / rule.points;
    return { allowed: allowed === 1, remaining: tokens(rule, interval, Number(debt)), resetMs: Math.ceil(Number(reset)) };
  }, async (rule, key) => void (await redis.del(id(rule, key))));
}
