export interface CacheSetOptions {
  ttlMs: number;
  /** Tags let one call drop every entry that depends on the same thing (e.g. `event:42`). */
  tags?: string[];
}

/**
 * A JSON cache. Values must be JSON-serialisable. `wrap` does one load for concurrent misses of the
 * same key in this process (single flight).
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, options: CacheSetOptions): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  deleteByTag(...tags: string[]): Promise<void>;
  /** Drops every key that starts with `prefix` (incremental scan, never KEYS). */
  deleteByPrefix(prefix: string): Promise<void>;
  wrap<T>(key: string, options: CacheSetOptions, load: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
