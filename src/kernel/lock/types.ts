export interface LockHandle {
  readonly key: string;
  /** Unique to this acquisition; release/extend only act while it still owns the key. */
  readonly token: string;
}

/**
 * Mutual exclusion with expiry. A lock held past its TTL is lost, so the holder must finish (or
 * extend) within it; release and extend check ownership and never touch someone else's lock.
 */
export interface LockManager {
  readonly kind: 'memory' | 'redis';
  acquire(key: string, ttlMs: number): Promise<LockHandle | null>;
  extend(lock: LockHandle, ttlMs: number): Promise<boolean>;
  release(lock: LockHandle): Promise<boolean>;
}
