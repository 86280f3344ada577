import type { CacheSetOptions, CacheWrapOptions } from './types.js';

interface Flight {
  promise: Promise<unknown>;
  tags: readonly string[];
  /** Set when the key was invalidated while loading: the loaded value may predate the change. */
  stale: boolean;
}

type Matcher = (key: string, tags: readonly string[]) => boolean;

/**
 * `wrap` for both caches: concurrent misses of one key in this process share one read-and-load.
 * A load overtaken by an invalidation of its key (or one of its tags) still answers its callers but
 * is not written back, so a delete issued during a slow load is not undone by that load.
 */
export class SingleFlight {
  readonly #flights = new Map<string, Flight>();

  constructor(
    private readonly get: (key: string) => Promise<unknown>,
    private readonly set: (key: string, value: unknown, options: CacheSetOptions) => Promise<void>,
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
    const hit = await this.get(key);
    if (hit !== undefined) return hit as T;
    const value = await load();
    // undefined is not storable (and would read back as a miss anyway).
    if (value === undefined || flight.stale) return value;
    const ttlMs = options.ttlFor ? Math.min(options.ttlMs, Math.floor(options.ttlFor(value))) : options.ttlMs;
    if (ttlMs > 0) await this.set(key, value, { ttlMs, tags: options.tags });
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
