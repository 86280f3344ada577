import { newToken, validTtl } from './shared.js';
import type { LockManager } from './types.js';

interface Held {
  token: string;
  expiresAt: number;
}

const SWEEP_EVERY = 1000;

/** Locks within this process only: for the single-process mode. */
export function createMemoryLocks(): LockManager {
  const held = new Map<string, Held>();
  let acquiresSinceSweep = 0;

  /** The live holder of `key`; an expired one is dropped, which is what frees the lock on expiry. */
  const holder = (key: string): Held | undefined => {
    const h = held.get(key);
    if (h && h.expiresAt <= Date.now()) {
      held.delete(key);
      return undefined;
    }
    return h;
  };

  // Locks that expire without being touched again would otherwise stay in the map forever.
  const sweep = (): void => {
    const now = Date.now();
    for (const [key, h] of held) if (h.expiresAt <= now) held.delete(key);
  };

  return {
    kind: 'memory',
    async acquire(key, ttlMs) {
      const ttl = validTtl(ttlMs);
      if (++acquiresSinceSweep >= SWEEP_EVERY) {
        acquiresSinceSweep = 0;
        sweep();
      }
      if (holder(key)) return null;
      const token = newToken();
      held.set(key, { token, expiresAt: Date.now() + ttl });
      return { key, token };
    },
    async extend(lock, ttlMs) {
      const ttl = validTtl(ttlMs);
      const h = holder(lock.key);
      if (h?.token !== lock.token) return false;
      h.expiresAt = Date.now() + ttl;
      return true;
    },
    async release(lock) {
      if (holder(lock.key)?.token !== lock.token) return false;
      held.delete(lock.key);
      return true;
    },
  };
}
