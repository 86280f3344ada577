import type { Kysely } from 'kysely';
import type { DB as BookingsTables } from './bookings.tables.js';
import { findLedger, forSale } from './ledger.repository.js';

/** How long a process trusts what it last read of an event and its seats, for the checks before a hold. */
const GLANCE_MS = 250;

const readEvent = (db: Kysely<BookingsTables>, eventId: string) => db.selectFrom('bookings.events').selectAll().where('event_id', '=', eventId).executeTakeFirst();
type EventRow = Awaited<ReturnType<typeof readEvent>>;

export interface Glance {
  /**
   * The event and its seats as this process last saw them (at most GLANCE_MS ago): during a sale,
   * thousands of requests a second share one pair of reads. Only for refusing early: the write checks
   * the event and its seats again under the ledger's lock.
   */
  read(eventId: string): Promise<{ event: EventRow; available: number | undefined }>;
  /** What a write learnt of the seats left: later requests are refused early if none are. */
  saw(eventId: string, available: number): void;
}

export function createGlance(db: Kysely<BookingsTables>): Glance {
  const seen = new Map<string, { event: EventRow; available: number; at: number }>();
  return {
    async read(eventId) {
      const last = seen.get(eventId);
      if (last && Date.now() - last.at < GLANCE_MS) return last;
      const [event, ledger] = await Promise.all([readEvent(db, eventId), findLedger(db, eventId)]);
      if (seen.size > 10_000) seen.clear();
      if (event && ledger) seen.set(eventId, { event, available: forSale(ledger), at: Date.now() });
      return { event, available: ledger && forSale(ledger) };
    },
    saw(eventId, available) {
      const last = seen.get(eventId);
      if (last) last.available = available;
    },
  };
}
