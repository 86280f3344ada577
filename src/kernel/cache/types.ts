export interface CacheSetOptions {
  ttlMs: number;
  /** Tags let one call drop every entry that depends on the same thing (e.g. `event:42`). */
  tags?: string[];
}

export interface CacheWrapOptions<T> extends CacheSetOptions {
  /**
   * A shorter life for this value, decided once it is loaded (e.g. until the moment it changes by
   * itself); 0 or less: answer it, do not store it.
   */
  ttlFor?: (value: T) => number;
}

/**
 * A JSON cache. Values must be JSON-serialisable. What `get` and `wrap` return is deep-frozen and may
 * be shared with other readers (never the object given to `set`): read it, copy it to change it.
 * `wrap` does one load for concurrent misses of the same key in this process (single flight).
 */
export interface Cache {
  readonly kind: 'memory' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, options: CacheSetOptions): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  deleteByTag(...tags: string[]): Promise<void>;
  /** Drops every key that starts with `prefix` (incremental scan, never KEYS). */
  deleteByPrefix(prefix: string): Promise<void>;
  wrap<T>(key: string, options: CacheWrapOptions<T>, load: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
