interface Slot<V> {
  value: V;
  expiresAt: number;
}

/**
 * A bounded least-recently-used map with per-entry expiry. A Map iterates in insertion order, so
 * re-inserting on read keeps the least recently used entry first, where eviction takes it from.
 * Expired entries are dropped lazily (on read, or evicted as the oldest); the bound holds anyway.
 * `onRemove` sees every entry that leaves, for whatever reason except clear().
 * Hand-written because no LRU package is a declared dependency (`lru-cache` is only present
 * transitively, so importing it could break on any upgrade); the cache needs only these operations.
 */
export class TtlLru<V> {
  readonly #slots = new Map<string, Slot<V>>();
  readonly #maxEntries: number;
  readonly #onRemove: ((key: string, value: V) => void) | undefined;

  constructor(maxEntries: number, onRemove?: (key: string, value: V) => void) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
    this.#onRemove = onRemove;
  }

  get size(): number {
    return this.#slots.size;
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key);
    if (!slot) return undefined;
    this.#slots.delete(key);
    if (slot.expiresAt <= Date.now()) {
      this.#onRemove?.(key, slot.value);
      return undefined;
    }
    this.#slots.set(key, slot);
    return slot.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.delete(key);
    this.#slots.set(key, { value, expiresAt: Date.now() + ttlMs });
    for (const [oldest, slot] of this.#slots) {
      if (this.#slots.size <= this.#maxEntries) break;
      this.#slots.delete(oldest);
      this.#onRemove?.(oldest, slot.value);
    }
  }

  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (!slot) return false;
    this.#slots.delete(key);
    this.#onRemove?.(key, slot.value);
    return true;
  }

  deleteByPrefix(prefix: string): void {
    for (const key of [...this.#slots.keys()]) if (key.startsWith(prefix)) this.delete(key);
  }

  clear(): void {
    this.#slots.clear();
  }
}
