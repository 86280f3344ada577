import { fileURLToPath } from 'node:url';
import { defineModule } from '../../kernel/index.js';
import { eventsAdminRoutes } from './admin.routes.js';
import { createCatalogueCache } from './catalogue.cache.js';
import { completionTask } from './completion.task.js';
import type { EventsDeps } from './events.deps.js';
import { eventsError } from './events.errors.js';
import { eventsRoutes } from './events.routes.js';
import { eventsSettings, type EventsConfig } from './events.settings.js';
import type { DB as EventsTables } from './events.tables.js';
import { ownChangesConsumer, seatsConsumer } from './seats.consumer.js';

export type { EventsConfig } from './events.settings.js';

/** Event catalogue: lifecycle, public browse with search and filters, cached reads (SPEC §4). */
export const eventsModule = defineModule<EventsConfig, EventsTables>({
  name: 'events',
  description: 'Event catalogue, lifecycle and cached browse',
  schema: 'events',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  settings: eventsSettings,
  errors: eventsError.table,

  create(ctx) {
    const deps: EventsDeps = {
      db: ctx.db,
      transaction: ctx.transaction,
      outbox: ctx.outbox,
      cache: createCatalogueCache({
        cache: ctx.config.cache ? ctx.cache : undefined,
        detailTtlMs: ctx.config.detailTtlMs,
        listTtlMs: ctx.config.listTtlMs,
        listSeatsRefreshMs: ctx.config.listSeatsRefreshMs,
        metrics: ctx.metrics,
        logger: ctx.logger,
      }),
      config: ctx.config,
      logger: ctx.logger,
    };
    return {
      async routes(app) {
        eventsRoutes(app, deps, ctx.access);
        // In a scope of their own: its hooks make every admin route admins-only and uncacheable.
        await app.register(async (scope) => eventsAdminRoutes(scope as typeof app, deps, ctx.access));
      },
      consumers: [seatsConsumer(deps), ownChangesConsumer(deps)],
      tasks: [completionTask(deps)],
    };
  },
});
