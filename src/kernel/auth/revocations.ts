import { hashTagged, type RedisClient as Redis } from '../redis.js';
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
   * False when the list may have lost entries (a Redis restarted, from a snapshot or empty, or
   * flushed): until auth restores it from the database, `isRevoked` refuses to answer (503) rather
   * than let a revoked session's token through.
   */
  isComplete(): Promise<boolean>;
  /**
   * Auth: writes every revocation a live token could outlive (`load` reads them from the database)
   * and marks the list complete, at once.
   */
  restore(load: () => Promise<readonly RevocationEntry[]>): Promise<void>;
}

export interface RevocationEntry {
  sessionId: string;
  ttlMs: number;
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
  const revokeSession = async (sessionId: string, ttlMs: number) => {
    const t = now();
    purge(t);
    if (ttlMs > 0) until.set(sessionId, Math.max(until.get(sessionId) ?? 0, t + ttlMs));
  };
  return {
    kind: 'memory',
    revokeSession,
    async isRevoked(token: VerifiedAccess) {
      return (until.get(token.sessionId) ?? 0) > now();
    },
    // This process's memory is lost only with the process; auth reloads it at start.
    isComplete: async () => true,
    async restore(load) {
      for (const e of await load()) await revokeSession(e.sessionId, e.ttlMs);
    },
  };
}

/**
 * Shared by every process and module: one write makes every replica refuse the session's tokens.
 *
 * A marker key without expiry (the epoch) tells a list that is whole from one Redis lost. It holds
 * the `run_id` of the Redis server the list was restored on: an empty Redis (restarted without
 * persistence, flushed) lacks the marker, and one restarted from a snapshot, which may lack the
 * entries written after it, has a marker naming the server that is gone. Either way every check
 * answers 503 until auth restores the list. The run id is read once per connection (a restart
 * always drops it), so a check stays one MGET. Entries and marker are written in one MULTI.
 * Redis must run with `maxmemory-policy noeviction`: an eviction of entries alone would go unseen.
 */
export function createRedisRevocations(o: { redis: Redis; prefix: string }): RevocationStore {
  // Entries and their marker are read together (MGET) and written together (MULTI): one hash tag.
  const base = hashTagged(o.prefix, 'revoked');
  const key = (sid: string) => `${base}${sid}`;
  const epochKey = `${base}_epoch`;
  let runId: string | undefined;
  o.redis.on('close', () => (runId = undefined));
  // The run id of the server that holds the list: in a cluster, the node owning the epoch key's
  // slot (a script runs there), not whichever node a plain INFO would reach.
  const serverRunId = async (): Promise<string> => {
    try {
      const id = await o.redis.eval("return string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')", 1, epochKey);
      return typeof id === 'string' ? id : 'unknown';
    } catch (err) {
      // A provider that disables INFO: the marker can then only tell an empty Redis from a full one.
      if (/unknown command|not allowed|disabled/i.test((err as Error).message)) return 'unknown';
      throw err;
    }
  };
  const set = (m: ReturnType<Redis['multi']>, sessionId: string, ttlMs: number) => m.set(key(sessionId), '1', 'PX', Math.ceil(ttlMs));
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
      let server: string;
      try {
        server = runId ??= await serverRunId();
        [epoch, revoked] = await o.redis.mget(epochKey, key(token.sessionId));
        // The server may have changed under a connection that stayed open (a proxy, a failover):
        // before refusing, make sure which server answered.
        if (epoch !== server && epoch != null) server = runId = await serverRunId();
      } catch (err) {
        // Fail closed: a token that might be revoked is not honoured while the store cannot say.
        throw new AppError('SERVICE_UNAVAILABLE', 'cannot check the session right now; try again shortly', { cause: err, headers: { 'retry-after': '5' } });
      }
      if (epoch !== server) {
        throw new AppError('SERVICE_UNAVAILABLE', 'the list of ended sessions is being rebuilt; try again shortly', { headers: { 'retry-after': '2' } });
      }
      return revoked != null;
    },
    async isComplete() {
      const [epoch, server] = await Promise.all([o.redis.get(epochKey), serverRunId()]);
      return epoch === server;
    },
    async restore(load) {
      // The server is named before the database is read: if Redis restarts after that, its entries
      // written meanwhile may be lost and missing from what was read, and the marker written (naming
      // the server before) does not match the new one, so the next round restores again.
      const server = await serverRunId();
      const entries = await load();
      const m = o.redis.multi();
      for (const e of entries) if (e.ttlMs > 0) set(m, e.sessionId, e.ttlMs);
      m.set(epochKey, server);
      const results = await m.exec();
      const failed = results?.find(([err]) => err);
      if (!results || failed) throw new Error(`could not restore the revocation list: ${failed?.[0]?.message ?? 'transaction aborted'}`);
    },
  };
}
