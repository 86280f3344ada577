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
  };
}

/** Shared by every process and module: one write makes every replica refuse the session's tokens. */
export function createRedisRevocations(o: { redis: Redis; prefix: string }): RevocationStore {
  const key = (sid: string) => `${o.prefix}${sid}`;
  return {
    kind: 'redis',
    async revokeSession(sessionId, ttlMs) {
      if (ttlMs <= 0) return;
      // A revoked session never issues tokens again, so its first revocation covers every token it
      // has; a later or replayed one may overwrite the TTL without opening a gap.
      await o.redis.set(key(sessionId), '1', 'PX', Math.ceil(ttlMs));
    },
    async isRevoked(token) {
      try {
        return (await o.redis.exists(key(token.sessionId))) === 1;
      } catch (err) {
        // Fail closed: a token that might be revoked is not honoured while the store cannot say.
        throw new AppError('SERVICE_UNAVAILABLE', 'cannot check the session right now; try again shortly', { cause: err });
      }
    },
  };
}
