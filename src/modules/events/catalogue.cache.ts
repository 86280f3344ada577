import { hash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { newId, type Cache, type Logger } from '../../kernel/index.js';

/** A public answer as sent: the JSON text and its ETag (a hash of that text). */
export interface Rendered {
  body: string;
  etag: string;
  /** When the answer changes by itself (an event starts: no longer upcoming), in ms since the epoch. */
  until?: number;
}

export function render(value: unknown): Rendered {
  const body = JSON.stringify(value);
  return { body, etag: `"${hash('sha1', body, 'base64url')}"` };
}

type Kind = 'detail' | 'list' | 'capacity';

const LIST_GENERATION = 'events:list-gen';
const GENERATION_TTL_MS = 7 * 86_400_000;
/** An unknown or unpublished id is remembered briefly: a flood of them costs no database reads. */
const MISSING_TTL_MS = 5_000;

export interface CatalogueCache {
  /** `null`: no such public event. `ttlFor`: a shorter life decided by the loaded answer. */
  detail(id: string, load: () => Promise<Rendered | null>, ttlFor?: (r: Rendered | null) => number): Promise<Rendered | null>;
  capacity(id: string, load: () => Promise<Rendered | null>): Promise<Rendered | null>;
  /** `key`: the query, normalised (same filters, same key). */
  list(key: string, load: () => Promise<Rendered>): Promise<Rendered>;
  /** After a change of these events: their pages and every list page, in every instance. */
  invalidate(ids: readonly string[]): Promise<void>;
  /**
   * After the seats of an event moved: its pages at once; list pages (which show `available` and
   * filter by `has_seats`) at most once per `listSeatsRefreshMs`, so that a sale selling thousands of
   * seats a second does not empty every list page thousands of times a second.
   */
  seatsMoved(id: string): Promise<void>;
}

/**
 * Public reads through the kernel cache (Redis with each process's short-lived layer in front, or
 * memory all-in-one). Concurrent misses of one key load once per process (the kernel's single
 * flight, which also never stores a load that an invalidation overtook).
 *
 * Lists are keyed by a generation that every change replaces: one write drops every cached list in
 * every instance (the kernel cache announces the new generation, so other processes drop their copy
 * of it at once), and the old pages expire unread. Detail and capacity pages are deleted by key.
 */
export function createCatalogueCache(o: { cache: Cache | undefined; detailTtlMs: number; listTtlMs: number; listSeatsRefreshMs: number; metrics: Registry; logger: Logger }): CatalogueCache {
  const requests = new Counter({ name: 'evently_events_cache_requests_total', help: 'Public event reads asked of the cache, by page kind', labelNames: ['kind'], registers: [o.metrics] });
  const loads = new Counter({ name: 'evently_events_cache_loads_total', help: 'Public event reads that went to the database (misses), by page kind', labelNames: ['kind'], registers: [o.metrics] });
  const { cache } = o;

  // Bound once: a labelled inc() would look its series up on every read.
  const counters = Object.fromEntries((['detail', 'list', 'capacity'] as const).map((kind) => [kind, { requests: requests.labels(kind), loads: loads.labels(kind) }])) as Record<Kind, { requests: Counter.Internal; loads: Counter.Internal }>;

  async function through<T>(kind: Kind, key: string, ttlMs: number, load: () => Promise<T>, ttlFor?: (value: T) => number): Promise<T> {
    counters[kind].requests.inc();
    const counted = () => {
      counters[kind].loads.inc();
      return load();
    };
    if (!cache) return counted();
    return cache.wrap<T>(key, { ttlMs, ttlFor }, counted);
  }

  const newListGeneration = () => cache!.set(LIST_GENERATION, newId(), { ttlMs: GENERATION_TTL_MS });
  const pages = (ids: readonly string[]) => ids.flatMap((id) => [`events:detail:${id}`, `events:capacity:${id}`]);

  // Seat changes refresh lists at once when none did within the interval, else once at its end.
  let listsRefreshedAt = 0;
  let pending: NodeJS.Timeout | undefined;
  const refreshListsSoon = async (): Promise<void> => {
    const wait = listsRefreshedAt + o.listSeatsRefreshMs - Date.now();
    if (wait <= 0) {
      listsRefreshedAt = Date.now();
      return newListGeneration();
    }
    pending ??= setTimeout(() => {
      pending = undefined;
      listsRefreshedAt = Date.now();
      newListGeneration().catch((err: unknown) => o.logger.warn({ err: (err as Error).message }, 'list pages not refreshed after seat changes; they expire within EVENTS_LIST_CACHE_TTL_S'));
    }, wait);
    // A refresh still due at shutdown is left to the list TTL.
    pending.unref();
  };

  const missingFirst = (ttlFor?: (r: Rendered | null) => number) => (r: Rendered | null) => (r === null ? MISSING_TTL_MS : (ttlFor?.(r) ?? Number.POSITIVE_INFINITY));

  return {
    detail: (id, load, ttlFor) => through('detail', `events:detail:${id}`, o.detailTtlMs, load, missingFirst(ttlFor)),
    capacity: (id, load) => through('capacity', `events:capacity:${id}`, o.detailTtlMs, load, missingFirst()),
    async list(key, load) {
      const generation = (await cache?.get<string>(LIST_GENERATION)) ?? '0';
      return through('list', `events:list:${generation}:${key}`, o.listTtlMs, load);
    },
    async invalidate(ids) {
      if (!cache) return;
      await Promise.all([ids.length ? cache.delete(...pages(ids)) : undefined, newListGeneration()]);
    },
    async seatsMoved(id) {
      if (!cache) return;
      await Promise.all([cache.delete(...pages([id])), refreshListsSoon()]);
    },

  };
}
