import { fileURLToPath } from 'node:url';
import { defineModule } from '../../kernel/index.js';
import { bookingsAdminRoutes } from './admin.routes.js';
import { availabilityRoutes, bookingRoutes } from './bookings.routes.js';
import type { BookingsDeps } from './bookings.deps.js';
import { bookingsError } from './bookings.errors.js';
import { bookingsSettings, type BookingsConfig } from './bookings.settings.js';
import type { DB as BookingsTables } from './bookings.tables.js';
import { catalogueConsumer } from './catalogue.consumer.js';
import { expiryTask } from './expiry.task.js';
import { createLiveHub, liveConsumer } from './live.js';
import { createGlance } from './glance.js';
import { batchWriter } from './hold.batch.js';
import { singleWriter } from './hold.single.js';
import type { HoldWriter } from './hold.js';
import { paymentProvider, type PaymentProvider } from './payment.js';
import { waitlistAdminRoutes, waitlistRoutes } from './waitlist.routes.js';

export type { BookingsConfig } from './bookings.settings.js';
export type { HoldRequest, HoldResult, HoldWriter } from './hold.js';
export { singleWriter } from './hold.single.js';
export type { Charge, PaymentProvider } from './payment.js';

/** What a hold writer is built from (a benchmark's baseline strategy gets the same). */
export type HoldWriterDeps = Parameters<typeof singleWriter>[0];

/**
 * Inventory ledger, bookings, holds, waitlist and audit log (SPEC §5). `holds` replaces the write
 * path of holds (BOOKINGS_WRITE_STRATEGY): the flash-sale benchmark runs its baseline designs on
 * the same HTTP stack this way. `payments` replaces the configured payment provider (a provider of
 * one's own, or a failing one in tests).
 */
export function createBookingsModule(o: { holds?: (deps: HoldWriterDeps) => HoldWriter; payments?: PaymentProvider } = {}) {
  return defineModule<BookingsConfig, BookingsTables>({
    name: 'bookings',
    description: 'Inventory, bookings, holds, waitlist and audit trail',
    schema: 'bookings',
    migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
    settings: bookingsSettings,
    errors: bookingsError.table,

    create(ctx) {
      const base = { db: ctx.db, transaction: ctx.transaction, outbox: ctx.outbox, config: ctx.config, glance: createGlance(ctx.db) };
      const deps: BookingsDeps = {
        ...base,
        payments: o.payments ?? paymentProvider(ctx.config),
        holds: o.holds ? o.holds(base) : ctx.config.writeStrategy === 'single' ? singleWriter(base) : batchWriter(base, ctx.config.maxBatch),
        logger: ctx.logger,
      };
      const live = createLiveHub({ db: ctx.db, signals: ctx.signals, logger: ctx.logger }, ctx.config.streamMaxClients);
      return {
        async routes(app) {
          availabilityRoutes(app, deps, live);
          // In a scope of its own: its hooks make every booking route need a token and no-store.
          await app.register(async (scope) => bookingRoutes(scope as typeof app, deps, ctx.access));
          await app.register(async (scope) => bookingsAdminRoutes(scope as typeof app, deps, ctx.access));
          await app.register(async (scope) => waitlistRoutes(scope as typeof app, deps, ctx.access));
          await app.register(async (scope) => waitlistAdminRoutes(scope as typeof app, deps, ctx.access));
        },
        consumers: [catalogueConsumer(deps), liveConsumer({ signals: ctx.signals, logger: ctx.logger })],
        tasks: [expiryTask(deps)],
      };
    },
  });
}

export const bookingsModule = createBookingsModule();
