import assert from 'node:assert/strict';
import { beforeEach, describe, it } from '../../../test/support/suite.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { perTestOnRedis, skipWithoutRedis } from '../../../test/support/redis.js';
import { createMemoryLocks, createRedisLocks, type LockManager } from './index.js';

/**
 * `makeManagers` returns one or more managers sharing one fresh store (for Redis: separate
 * connections, as separate processes would have), so parallel acquires really race.
 */
function lockContract(makeManagers: () => LockManager[]): void {
  let managers: LockManager[];
  let locks: LockManager;
  beforeEach(() => {
    managers = makeManagers();
    locks = managers[0]!;
  });

  it('lets exactly one of 50 parallel acquires win', async () => {
    const handles = await Promise.all(
      Array.from({ length: 50 }, (_, i) => managers[i % managers.length]!.acquire('seat:1', 10_000)),
    );
    const winners = handles.filter((h) => h !== null);
    assert.equal(winners.length, 1);
    assert.equal(winners[0]!.key, 'seat:1');
    assert.equal(await locks.release(winners[0]!), true);
    assert.notEqual(await locks.acquire('seat:1', 10_000), null);
  });

  it('keeps different keys independent', async () => {
    assert.notEqual(await locks.acquire('a', 10_000), null);
    assert.notEqual(await locks.acquire('b', 10_000), null);
  });

  it('refuses release and extend with a token that does not own the lock', async () => {
    const mine = await locks.acquire('k', 10_000);
    assert.ok(mine);
    const forged = { key: 'k', token: 'not-the-owner' };
    assert.equal(await locks.release(forged), false);
    assert.equal(await locks.extend(forged, 10_000), false);
    assert.equal(await locks.acquire('k', 10_000), null);
    assert.equal(await locks.release(mine), true);
    assert.equal(await locks.release(mine), false);
  });

  it('frees the lock when its TTL expires, and the old holder can no longer release it', async () => {
    const first = await locks.acquire('k', 100);
    assert.ok(first);
    assert.equal(await locks.acquire('k', 100), null);
    await sleep(250);
    const second = await locks.acquire('k', 10_000);
    assert.ok(second);
    assert.notEqual(second.token, first.token);
    assert.equal(await locks.release(first), false);
    assert.equal(await locks.extend(first, 10_000), false);
    assert.equal(await locks.acquire('k', 10_000), null);
  });

  it('extend keeps the lock past its original TTL', async () => {
    const lock = await locks.acquire('k', 150);
    assert.ok(lock);
    await sleep(50);
    assert.equal(await locks.extend(lock, 1000), true);
    await sleep(250);
    assert.equal(await locks.acquire('k', 1000), null);
    assert.equal(await locks.release(lock), true);
  });
}

describe('memory locks', () => {
  lockContract(() => [createMemoryLocks()]);
});

describe('redis locks', { skip: skipWithoutRedis() }, () => {
  lockContract(perTestOnRedis('lock', (redis, prefix) => createRedisLocks({ redis, prefix })));
});
