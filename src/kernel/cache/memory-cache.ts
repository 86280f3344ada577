import { TtlLru } from './lru.js';
import { encode, shareable, uniqueTags, validTtl } from './shared.js';
import { SingleFlight } from './single-flight.js';
import type { Cache } from './types.js';

interface Entry {
  /** Frozen: handed out as it is on every hit. */
  value: unknown;
  tags: readonly string[];
}

export interface MemoryCacheOptions {
  /** Upper bound on entries; the least recently used go first. Default 10,000. */
  maxEntries?: number;
}

/** In-process cache for the single-process mode: nothing is shared with other processes. */
export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  // Invariant: tagIndex lists exactly the live (possibly expired but not yet dropped) entries per tag.
  const tagIndex = new Map<string, Set<string>>();
  const entries = new TtlLru<Entry>(options.maxEntries ?? 10_000, (key, entry) => {
    for (const tag of entry.tags) {
      const keys = tagIndex.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) tagIndex.delete(tag);
    }
  });

  const get = async <T>(key: string): Promise<T | undefined> => {
    const entry = entries.get(key);
    return entry?.value as T | undefined;
  };

  const set: Cache['set'] = async (key, value, setOptions) => {
    const ttlMs = validTtl(setOptions);
    const tags = uniqueTags(setOptions);
    entries.set(key, { value: shareable(encode(value)), tags }, ttlMs);
    for (const tag of tags) {
      let keys = tagIndex.get(tag);
      if (!keys) tagIndex.set(tag, (keys = new Set()));
      keys.add(key);
    }
  };

  // One process: every delete reaches the flights directly, so no fence is needed.
  const flights = new SingleFlight(async (key) => ({ value: await get(key), fence: '' }), set);

  return {
    kind: 'memory',
    get,
    set,
    async delete(...keys) {
      for (const key of keys) entries.delete(key);
      const dropped = new Set(keys);
      flights.invalidate((key) => dropped.has(key));
    },
    async deleteByTag(...tags) {
      for (const tag of tags) {
        for (const key of [...(tagIndex.get(tag) ?? [])]) entries.delete(key);
      }
      flights.invalidate((_key, flightTags) => flightTags.some((t) => tags.includes(t)));
    },
    async deleteByPrefix(prefix) {
      entries.deleteByPrefix(prefix);
      flights.invalidate((key) => key.startsWith(prefix));
    },
    wrap: (key, wrapOptions, load) => flights.wrap(key, wrapOptions, load),
    async close() {
      entries.clear();
      tagIndex.clear();
    },
  };
}
