import assert from 'node:assert/strict';
import { beforeEach, describe, it } from '../../../test/support/suite.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { brokenRedis, cleanupRedis, newRedis, perTestOnRedis, redisTargets, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { createMemoryRateLimiter, createRedisRateLimiter, rateLimitHeaders, type RateLimiter, type RateLimitRule } from './index.js';

/**
 * `makeLimiters` returns one or more limiters sharing one fresh store (for Redis: separate
 * connections, as separate processes would have), so parallel hits really race.
 */
function rateLimiterContract(makeLimiters: () => RateLimiter[]): void {
  let limiters: RateLimiter[];
  let limiter: RateLimiter;
  beforeEach(() => {
    limiters = makeLimiters();
    limiter = limiters[0]!;
  });
  const rule = (points: number, windowMs = 60_000, name = 'login:ip'): RateLimitRule => ({ name, points, windowMs });

  it('allows exactly `points` of 100 parallel hits', async () => {
    const r = rule(10);
    const decisions = await Promise.all(
      Array.from({ length: 100 }, (_, i) => limiters[i % limiters.length]!.hit(r, '203.0.113.9')),
    );
    const allowed = decisions.filter((d) => d.allowed);
    assert.equal(allowed.length, 10);
    assert.deepEqual(allowed.map((d) => d.remaining).sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const d of decisions.filter((x) => !x.allowed)) {
      assert.equal(d.remaining, 0);
      assert.equal(d.limit, 10);
      assert.ok(d.resetMs > 0 && d.resetMs <= 60_000);
    }
  });

  it('refills one token every window/points, so capacity comes back gradually', async () => {
    const r = rule(2, 400);
    assert.equal((await limiter.hit(r, 'k')).allowed, true);
    assert.equal((await limiter.hit(r, 'k')).allowed, true);
    const refused = await limiter.hit(r, 'k');
    assert.equal(refused.allowed, false);
    assert.ok(refused.resetMs > 0 && refused.resetMs <= 200, `resetMs ${refused.resetMs}`);
    await sleep(refused.resetMs + 40);
    const again = await limiter.hit(r, 'k');
    assert.equal(again.allowed, true);
    assert.equal(again.remaining, 0);
    // One token came back, not a whole new window's worth.
    assert.equal((await limiter.hit(r, 'k')).allowed, false);
  });

  it('never lets a burst of twice the limit through around a window boundary (no fixed windows)', async () => {
    const r = rule(10, 1000);
    const first = await Promise.all(Array.from({ length: 10 }, () => limiter.hit(r, 'edge')));
    assert.ok(first.every((d) => d.allowed));
    await sleep(300); // a fixed window starting at the first hit would not have reset either; a fresh one would allow 10
    const second = await Promise.all(Array.from({ length: 10 }, () => limiter.hit(r, 'edge')));
    const passed = second.filter((d) => d.allowed).length;
    assert.ok(passed >= 2 && passed <= 4, `${passed} passed after 300 ms; a token bucket of 10/s refills about 3`);
  });

  it('counts each key and each rule separately', async () => {
    const r = rule(1);
    assert.equal((await limiter.hit(r, 'a')).allowed, true);
    assert.equal((await limiter.hit(r, 'a')).allowed, false);
    assert.equal((await limiter.hit(r, 'b')).allowed, true);
    assert.equal((await limiter.hit(rule(1, 60_000, 'signup:ip'), 'a')).allowed, true);
  });

  it('consumes the given number of points', async () => {
    const r = rule(5);
    assert.deepEqual(
      [(await limiter.hit(r, 'k', 3)).remaining, (await limiter.hit(r, 'k', 2)).remaining],
      [2, 0],
    );
    assert.equal((await limiter.hit(r, 'k')).allowed, false);
  });

  it('reset() gives the key its full allowance back', async () => {
    const r = rule(2);
    await limiter.hit(r, 'k', 2);
    assert.equal((await limiter.hit(r, 'k')).allowed, false);
    await limiter.reset(r, 'k');
    const fresh = await limiter.hit(r, 'k');
    assert.equal(fresh.allowed, true);
    assert.equal(fresh.remaining, 1);
  });

  it('refuses a hit costing more than the bucket holds (it could never pass)', async () => {
    await assert.rejects(limiter.hit(rule(3), 'k', 4), /1\.\.3/);
    await assert.rejects(limiter.hit(rule(3), 'k', 0), /1\.\.3/);
  });

  it('refuses a second rule with the same name but different numbers', async () => {
    await limiter.hit(rule(2), 'k');
    await assert.rejects(limiter.hit(rule(3), 'k'), /already defined/);
  });
}

describe('memory rate limiter', () => {
  rateLimiterContract(() => [createMemoryRateLimiter()]);
});

for (const target of redisTargets()) describe(`${target.name} rate limiter`, { skip: skipWithoutRedis() }, () => {
  rateLimiterContract(perTestOnRedis('rl', (redis, prefix) => createRedisRateLimiter({ redis, prefix }), 4, target));

  it('after a restart with a shorter window, a key is never locked out for the rest of the old one', async () => {
    const redis = newRedis(target);
    const prefix = uniquePrefix('rl-shrink');
    try {
      const before = createRedisRateLimiter({ redis, prefix });
      for (let i = 0; i < 100; i++) await before.hit({ name: 'login:ip', points: 100, windowMs: 3_600_000 }, 'k');
      const after = createRedisRateLimiter({ redis, prefix }); // the same rule name, new numbers
      const refused = await after.hit({ name: 'login:ip', points: 5, windowMs: 60_000 }, 'k');
      assert.equal(refused.allowed, false);
      assert.ok(refused.resetMs <= 60_000, `locked out for ${refused.resetMs} ms; the new window is 60 s`);
    } finally {
      await cleanupRedis(redis, prefix);
      await redis.quit();
    }
  });

  it('throws when the store fails, so callers choose fail-open or fail-closed', async () => {
    const broken = brokenRedis(target);
    const limiter = createRedisRateLimiter({ redis: broken, prefix: uniquePrefix('rl-broken') });
    await assert.rejects(limiter.hit({ name: 'x', points: 1, windowMs: 1000 }, 'k'), Error);
    broken.disconnect();
  });
});

describe('rateLimitHeaders', () => {
  it('rounds seconds up and adds Retry-After only to refusals', () => {
    assert.deepEqual(rateLimitHeaders({ allowed: true, limit: 10, remaining: 4, resetMs: 1200 }), {
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '4',
      'RateLimit-Reset': '2',
    });
    assert.deepEqual(rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetMs: 0 }), {
      'RateLimit-Limit': '10',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '0',
      'Retry-After': '1',
    });
    assert.equal(rateLimitHeaders({ allowed: false, limit: 1, remaining: 0, resetMs: 59_001 })['Retry-After'], '60');
  });
});
