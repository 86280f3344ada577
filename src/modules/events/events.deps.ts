import type { Kysely } from 'kysely';
import type { Logger, Outbox, Transact } from '../../kernel/index.js';
import type { CatalogueCache } from './catalogue.cache.js';
import type { EventsConfig } from './events.settings.js';
import type { DB as EventsTables } from './events.tables.js';

/** What the events services need, built once per process in the module's create. */
export interface EventsDeps {
  db: Kysely<EventsTables>;
  transaction: Transact<EventsTables>;
  outbox: Outbox;
  cache: CatalogueCache;
  config: EventsConfig;
  logger: Logger;
}

/**
 * Drops the cached pages of these events (and every list; after seat moves, soon) in every instance.
 * A failure is logged: the change is committed. An event change's message reaches this module's own
 * consumer, which invalidates again; a seat change has no message of its own, so it is retried here,
 * in the background (250 ms, 500 ms, then every second) until the pages it left would have expired.
 */
export async function invalidateQuietly(deps: EventsDeps, ids: readonly string[], why: 'changed' | 'seats' = 'changed'): Promise<void> {
  try {
    await (why === 'seats' ? deps.cache.seatsMoved(ids[0]!) : deps.cache.invalidate(ids));
  } catch (err) {
    const retry = why === 'seats' && deps.config.detailTtlMs > 0;
    deps.logger.warn({ err: (err as Error).message, event_ids: ids }, retry ? 'cache invalidation after a seat change failed; retrying' : 'cache invalidation failed; the change event will retry it');
    if (retry) void retrySeats(deps, ids[0]!, Date.now() + deps.config.detailTtlMs);
  }
}

async function retrySeats(deps: EventsDeps, id: string, giveUpAt: number): Promise<void> {
  for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
    await new Promise((r) => setTimeout(r, Math.min(1_000, 125 * 2 ** attempt)).unref());
    try {
      await deps.cache.seatsMoved(id);
      deps.logger.info({ event_id: id, attempts: attempt + 1 }, 'cache invalidation after a seat change done');
      return;
    } catch {
      // Still failing: the next attempt logs if it succeeds; the pages expire by their TTL otherwise.
    }
  }
  deps.logger.warn({ event_id: id }, 'cache invalidation after a seat change gave up; the pages expire by their TTL');
}
