import type { Kysely } from 'kysely';
import type { Logger, Outbox, Transact } from '../../kernel/index.js';
import type { BookingsConfig } from './bookings.settings.js';
import type { DB as BookingsTables } from './bookings.tables.js';
import type { Glance } from './glance.js';
import type { HoldWriter } from './hold.js';
import type { PaymentProvider } from './payment.js';

/** What the bookings services need, built once per process in the module's create. */
export interface BookingsDeps {
  db: Kysely<BookingsTables>;
  transaction: Transact<BookingsTables>;
  outbox: Outbox;
  payments: PaymentProvider;
  /** This process's recent look at events and their seats, for refusing early. */
  glance: Glance;
  /** The write path of holds (BOOKINGS_WRITE_STRATEGY). */
  holds: HoldWriter;
  config: BookingsConfig;
  logger: Logger;
}
