import assert from 'node:assert/strict';
import { beforeEach, describe, it } from '../../../test/support/suite.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { hashTagged } from '../redis.js';
import { AppError } from '../errors.js';
import { cleanupRedis, newRedis, perTestOnRedis, redisTargets, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { createMemoryRevocations, createRedisRevocations, type RevocationStore } from './index.js';
import type { VerifiedAccess } from './tokens.js';

const token = (sessionId: string): VerifiedAccess => ({ userId: 'u', sessionId, role: 'user', tokenId: 'j', issuedAt: 0, expiresAt: 0 });

/** `make` returns stores sharing one fresh backing store (for Redis: separate connections, as separate processes). */
function revocationContract(make: () => RevocationStore[]): void {
  let stores: RevocationStore[];
  beforeEach(async () => {
    stores = make();
    await stores[0]!.restore(async () => []); // as auth does once it has loaded the list
  });

  it('says it is complete once restored, and answers for every store sharing it', async () => {
    for (const s of stores) assert.equal(await s.isComplete(), true);
  });

  it('restore puts back the entries it is given (those whose tokens all expired are skipped)', async () => {
    await stores[0]!.restore(async () => [{ sessionId: 's-back', ttlMs: 60_000 }, { sessionId: 's-gone', ttlMs: 0 }]);
    for (const s of stores) {
      assert.equal(await s.isRevoked(token('s-back')), true);
      assert.equal(await s.isRevoked(token('s-gone')), false);
    }
  });

  it('a revoked session is refused by every store sharing the backing store; others are not', async () => {
    await stores[0]!.revokeSession('s-1', 60_000);
    for (const s of stores) {
      assert.equal(await s.isRevoked(token('s-1')), true);
      assert.equal(await s.isRevoked(token('s-2')), false);
    }
  });

  it('forgets a revocation once its TTL (the access-token lifetime) has passed', async () => {
    await stores[0]!.revokeSession('s-ttl', 300);
    assert.equal(await stores[0]!.isRevoked(token('s-ttl')), true);
    await sleep(450);
    assert.equal(await stores[0]!.isRevoked(token('s-ttl')), false);
  });

  it('ignores a revocation whose tokens have all expired already (TTL ≤ 0)', async () => {
    await stores[0]!.revokeSession('s-old', 0);
    await stores[0]!.revokeSession('s-older', -5_000);
    assert.equal(await stores[0]!.isRevoked(token('s-old')), false);
    assert.equal(await stores[0]!.isRevoked(token('s-older')), false);
  });

  it('a replayed revocation keeps the session revoked', async () => {
    await stores[0]!.revokeSession('s-3', 60_000);
    await stores[stores.length - 1]!.revokeSession('s-3', 60_000);
    assert.equal(await stores[0]!.isRevoked(token('s-3')), true);
  });
}

describe('revocation list contract: in-process', () => {
  revocationContract(() => [createMemoryRevocations()]);

  it('keeps every entry however many there are (no eviction before the TTL)', async () => {
    const store = createMemoryRevocations();
    for (let i = 0; i < 50_000; i++) await store.revokeSession(`s-${i}`, 60_000);
    assert.equal(await store.isRevoked(token('s-0')), true);
    assert.equal(await store.isRevoked(token('s-49999')), true);
  });
});

for (const target of redisTargets()) describe(`revocation list contract: ${target.name}`, { skip: skipWithoutRedis() }, () => {
  const make = perTestOnRedis('revocations', (redis, prefix) => createRedisRevocations({ redis, prefix }), 4, target);
  revocationContract(make);

  it('a list that lost its data (Redis flushed or restarted empty) refuses with 503 until it is complete again', async () => {
    const redis = newRedis(target);
    const prefix = uniquePrefix('revocations-lost');
    try {
      const store = createRedisRevocations({ redis, prefix });
      await store.restore(async () => []);
      await store.revokeSession('s-lost', 60_000);
      assert.equal(await store.isRevoked(token('s-lost')), true);
      await cleanupRedis(redis, prefix); // what a FLUSHALL or an empty restart does to this list
      assert.equal(await store.isComplete(), false);
      await assert.rejects(store.isRevoked(token('s-lost')), (e: unknown) => e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE');
      await store.restore(async () => [{ sessionId: 's-lost', ttlMs: 60_000 }]); // auth, from the database
      assert.equal(await store.isRevoked(token('s-lost')), true);
      assert.equal(await store.isRevoked(token('s-other')), false);
    } finally {
      await cleanupRedis(redis, prefix);
      await redis.quit();
    }
  });

  it('a Redis restarted from a snapshot (the marker names a server that is gone) refuses with 503 until restored', async () => {
    const redis = newRedis(target);
    const prefix = uniquePrefix('revocations-snapshot');
    try {
      const store = createRedisRevocations({ redis, prefix });
      await store.restore(async () => []);
      assert.equal(await store.isRevoked(token('s-1')), false);
      // What a snapshot taken before the restart holds: the marker, written by the server that is gone
      // (the entries written after the snapshot are lost with it).
      await redis.set(`${hashTagged(prefix, 'revoked')}_epoch`, 'run-id-of-the-server-before-the-restart');
      assert.equal(await store.isComplete(), false);
      await assert.rejects(store.isRevoked(token('s-1')), (e: unknown) => e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE');
      await store.restore(async () => []);
      assert.equal(await store.isRevoked(token('s-1')), false);
    } finally {
      await cleanupRedis(redis, prefix);
      await redis.quit();
    }
  });

  it('fails closed: while Redis cannot answer, a token is refused with 503, never let through', async () => {
    const dead = new Redis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    dead.on('error', () => undefined);
    const store = createRedisRevocations({ redis: dead, prefix: 'unused:' });
    await assert.rejects(store.isRevoked(token('s-1')), (e: unknown) => e instanceof AppError && e.code === 'SERVICE_UNAVAILABLE');
    dead.disconnect();
  });
});
