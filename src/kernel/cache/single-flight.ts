import type { CacheSetOptions, CacheWrapOptions } from './types.js';

interface Flight {
  promise: Promise<unknown>;
  tags: readonly string[];
  /** Set when the key was invalidated while loading: the loaded value may predate the change. */
  stale: boolean;
}

type Matcher = (key: string, tags: readonly string[]) => boolean;

/**
 * A read for `wrap`: the value, and the fence to write a loaded value back with (what the cache
 * needs to refuse the write if a delete came meanwhile, in any process); no fence: do not write.
 */
export interface Lookup {
  value: unknown;
  fence?: string;
}

/**
 * `wrap` for both caches: concurrent misses of one key in this process share one read-and-load.
 * A load overtaken by an invalidation of its key (or one of its tags) still answers its callers but
 * is not written back, so a delete issued during a slow load is not undone by that load: this
 * process learns of deletes here (`invalidate`), other processes' through the fence.
 */
export class SingleFlight {
  readonly #flights = new Map<string, Flight>();

  constructor(
    private readonly read: (key: string) => Promise<Lookup>,
    private readonly fill: (key: string, value: unknown, options: CacheSetOptions, fence: string) => Promise<void>,
  ) {}

  wrap<T>(key: string, options: CacheWrapOptions<T>, load: () => Promise<T>): Promise<T> {
    const running = this.#flights.get(key);
    if (running) return running.promise as Promise<T>;
    const flight: Flight = { promise: Promise.resolve(), tags: options.tags ?? [], stale: false };
    const promise = this.#run(key, options, load, flight).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    flight.promise = promise;
    this.#flights.set(key, flight);
    return promise;
  }

  async #run<T>(key: string, options: CacheWrapOptions<T>, load: () => Promise<T>, flight: Flight): Promise<T> {
    const hit = await this.read(key);
    if (hit.value !== undefined) return hit.value as T;
    const value = await load();
    // undefined is not storable (and would read back as a miss anyway).
    if (value === undefined || flight.stale || hit.fence === undefined) return value;
    const ttlMs = options.ttlFor ? Math.min(options.ttlMs, Math.floor(options.ttlFor(value))) : options.ttlMs;
    if (ttlMs > 0) await this.fill(key, value, { ttlMs, tags: options.tags }, hit.fence);
    return value;
  }

  invalidate(matches: Matcher): void {
    for (const [key, flight] of this.#flights) {
      if (matches(key, flight.tags)) {
        flight.stale = true;
        // Later callers must not join a load that is known to be stale.
        this.#flights.delete(key);
      }
    }
  }
}
