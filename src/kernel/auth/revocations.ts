import type { Redis } from 'ioredis';
import { AppError } from '../errors.js';
import type { RevocationCheck } from './guards.js';
import type { VerifiedAccess } from './tokens.js';

/**
 * Sessions whose access tokens must be refused before they expire. An entry only has to outlive
 * the tokens it covers, so it is kept for the access-token lifetime from the revocation on.
 */
export interface RevocationStore extends RevocationCheck {
  readonly kind: 'memory' | 'redis';
  revokeSession(sessionId: string, ttlMs: number): Promise<void>;
  /**
   * False when the list may have lost entries (a Redis restarted without persistence, flushed or
   * evicting): until auth reloads it from the database and marks it complete, `isRevoked` refuses
   * to answer (503) rather than let a revoked session's token through.
   */
  isComplete(): Promise<boolean>;
  /** Auth, after (re)loading every revocation a live token could outlive. */
  markComplete(): Promise<void>;
}

/**
 * In-process set for the single-process mode. Never evicts early (an LRU could forget a revocation
 * under pressure); expired entries are dropped as new ones arrive.
 */
export function createMemoryRevocations(now: () => number = Date.now): RevocationStore {
  const until = new Map<string, number>();
  let nextPurge = 0;
  const purge = (t: number) => {
    if (t < nextPurge) return;
    nextPurge = t + 60_000;
    for (const [sid, u] of until) if (u <= t) until.delete(sid);
  };
  return {
    kind: 'memory',
    async revokeSession(sessionId, ttlMs) {
      const t = now();
      purge(t);
      if (ttlMs > 0) until.set(sessionId, Math.max(until.get(sessionId) ?? 0, t + ttlMs));
    },
    async isRevoked(token: VerifiedAccess) {
      return (until.get(token.sessionId) ?? 0) > now();
    },
    // This process's memory is lost only with the process; auth reloads it at start.
    isComplete: async () => true,
    markComplete: async () => undefined,
  };
}

/**
 * Shared by every process and module: one write makes every replica refuse the session's tokens.
 * A marker key without expiry (the epoch) tells a list that is whole from one Redis lost: entries
 * expire, the marker does not, so an empty Redis (restarted without persistence, flushed) lacks it.
 * Redis must run with `maxmemory-policy noeviction`: an eviction of entries alone would go unseen.
 */
export function createRedisRevocations(o: { redis: Redis; prefix: string }): RevocationStore {
  const key = (sid: string) => `${o.prefix}${sid}`;
  const epochKey = `${o.prefix}_epoch`;
  return {
    kind: 'redis',
    async revokeSession(sessionId, ttlMs) {
      if (ttlMs <= 0) return;
      // A revoked session never issues tokens again, so its first revocation covers every token it
      // has; a later or replayed one may overwrite the TTL without opening a gap.
      await o.redis.set(key(sessionId), '1', 'PX', Math.ceil(ttlMs));
    },
    async isRevoked(token) {
      let epoch: string | null | undefined;
      let revoked: string | null | undefined;
      try {
        [epoch, revoked] = await o.redis.mget(epochKey, key(token.sessionId));
      } catch (err) {
        // Fail closed: a token that might be revoked is not honoured while the store cannot say.
        throw new AppError('SERVICE_UNAVAILABLE', 'cannot check the session right now; try again shortly', { cause: err, headers: { 'retry-after': '5' } });
      }
      if (epoch == null) {
        throw new AppError('SERVICE_UNAVAILABLE', 'the list of ended sessions is being rebuilt; try again shortly', { headers: { 'retry-after': '2' } });
      }
      return revoked != null;
    },
    async isComplete() {
      return (await o.redis.exists(epochKey)) === 1;
    },
    async markComplete() {
      await o.redis.set(epochKey, new Date().toISOString());
    },
  };
}
