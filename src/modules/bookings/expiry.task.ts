import { sql } from 'kysely';
import type { PeriodicTask, Tx } from '../../kernel/index.js';
import { audit, giveBackUserSeats, type Booking } from './booking.repository.js';
import { bookingMessage } from './booking.events.js';
import type { BookingsDeps } from './bookings.deps.js';
import { moveSeats } from './ledger.repository.js';
import { settle } from './line.js';
import { sendRefunds } from './refunds.js';
import { expireOffers } from './waitlist.expiry.js';

/**
 * Expires up to `limit` due holds in one transaction: rows another replica is expiring are skipped
 * (SKIP LOCKED), each hold expires exactly once (it is locked, then moved from pending), and the seats
 * go back with one ledger move and one availability message per event. Returns how many expired.
 */
export async function expireDue(deps: BookingsDeps, trx: Tx, limit: number): Promise<number> {
  const due = trx.selectFrom('bookings.bookings').select('id').where('status', '=', 'pending').where('expires_at', '<=', sql<Date>`now()`).orderBy('expires_at').limit(limit).forUpdate().skipLocked();
  const expired = (await trx
    .updateTable('bookings.bookings')
    .set({ status: 'expired', version: sql`version + 1`, expired_at: sql`now()`, updated_at: sql`now()` })
    .where('id', 'in', due)
    .returningAll()
    .execute()) as Booking[];
  if (!expired.length) return 0;

  // Users' rows, then events' rows, each in one order: two sweeps (or a sweep and a booking) never deadlock.
  for (const [key, seats] of [...sum(expired, (b) => `${b.user_id} ${b.event_id}`)].sort()) {
    const [userId, eventId] = key.split(' ') as [string, string];
    await giveBackUserSeats(trx, userId, eventId, seats);
  }
  await audit(trx, expired.map((b) => ({ booking: b, before: { ...b, status: 'pending', version: b.version - 1 }, action: 'expired', actor: { id: null, role: 'system' } })));
  await deps.outbox.add(trx, ...expired.map((b) => bookingMessage('bookings.booking.expired', b)));
  for (const [eventId, seats] of [...sum(expired, (b) => b.event_id)].sort()) {
    const ledger = await moveSeats(trx, eventId, 'release', seats);
    if (!ledger) throw new Error(`ledger of ${eventId} has not the ${seats} held seat(s) its expired holds count`);
    await settle(deps, trx, ledger);
  }
  return expired.length;
}

function sum(bookings: Booking[], key: (b: Booking) => string): Map<string, number> {
  const totals = new Map<string, number>();
  for (const b of bookings) totals.set(key(b), (totals.get(key(b)) ?? 0) + b.quantity);
  return totals;
}

/**
 * One sweep: due holds in bounded batches until none is left, then the waitlist offers that ran out
 * (their seats pass down the line), then refunds still due. What the periodic task and POST
 * /admin/bookings/expire run.
 */
export async function sweep(deps: BookingsDeps): Promise<{ holds: number; offers: number; refunds: number }> {
  let holds = 0;
  for (;;) {
    const batch = await deps.transaction((trx) => expireDue(deps, trx, deps.config.expireBatch));
    holds += batch;
    if (batch < deps.config.expireBatch) break;
  }
  const offers = await expireOffers(deps, deps.config.expireBatch);
  return { holds, offers, refunds: await sendRefunds(deps) };
}

/** Holds and offers expire by themselves: every replica sweeps (each takes rows the others are not handling). */
export function expiryTask(deps: BookingsDeps): PeriodicTask {
  return {
    name: 'bookings.expire-holds',
    everyMs: deps.config.expireEveryMs,
    runAtStart: true,
    async run() {
      const done = await sweep(deps);
      if (done.holds || done.offers || done.refunds) deps.logger.info({ holds: done.holds, waitlist_entries: done.offers, refunds_sent: done.refunds }, 'expired holds and waitlist offers released, due refunds sent');
    },
  };
}
