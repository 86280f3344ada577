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
 * Drops the cached pages of these events (and every list) in every instance. A failure is logged:
 * the change is committed, and its event reaches this module's own consumer, which invalidates again.
 */
export async function invalidateQuietly(deps: EventsDeps, ids: readonly string[]): Promise<void> {
  try {
    await deps.cache.invalidate(ids);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, event_ids: ids }, 'cache invalidation failed; the change event will retry it');
  }
}
