import { sql } from 'kysely';
import type { Tx } from '../../kernel/index.js';
import { audit, findBooking, insertBooking, newReference, takeUserSeats, type Booking } from './booking.repository.js';
import { bookingMessage } from './booking.events.js';
import type { BookingsDeps } from './bookings.deps.js';
import { holdRow, keyReused, notOnSale, overUserCap, soldOut, type HoldRequest, type HoldResult, type HoldWriter } from './hold.js';
import { availabilityChanged, forSale, takeSeats } from './ledger.repository.js';

/**
 * One transaction per hold: the key, the user's cap (a conditional upsert on the user's own row),
 * the booking, its audit row and message, and last the seats (the event's row is locked from there to
 * the commit, and the event checked on sale). Every hold of an event queues on that row.
 */
export function singleWriter(deps: Pick<BookingsDeps, 'transaction' | 'outbox' | 'config' | 'glance'>): HoldWriter {
  return {
    strategy: 'single',
    hold: (r) => deps.transaction(async (trx: Tx): Promise<HoldResult> => {
      if (r.key) {
        const earlier = await claimKey(trx, r);
        if (earlier) return { booking: earlier, replayed: true };
      }
      if (!(await takeUserSeats(trx, r.actor.id, r.event_id, r.quantity, r.maxPerUser))) throw overUserCap(r.maxPerUser);
      const booking = await insertBooking(trx, holdRow(r, newReference(), deps.config.holdMs));
      await audit(trx, [{ booking, before: null, action: 'held', actor: r.actor, request: r.actor.request }]);
      await deps.outbox.add(trx, bookingMessage('bookings.booking.held', booking));
      const taken = await takeSeats(trx, r.event_id, [r.quantity]);
      if (taken) deps.glance.saw(r.event_id, forSale(taken));
      if (!taken?.on_sale) throw notOnSale();
      if (!taken.granted[0]) throw soldOut(forSale(taken));
      await deps.outbox.add(trx, availabilityChanged({ ...taken, event_id: r.event_id }));
      return { booking, replayed: false };
    }),
  };
}

/**
 * Claims the key for this booking, or finds what it was used for: a concurrent request with the same
 * key waits here for the first one's commit (the primary key) and then reads its booking. A key older
 * than a day is taken over.
 */
async function claimKey(trx: Tx, r: HoldRequest): Promise<Booking | undefined> {
  const { key, hash } = r.key!;
  const claimed = await trx
    .insertInto('bookings.idempotency_keys')
    .values({ user_id: r.actor.id, key, request_hash: hash, booking_id: r.id })
    .onConflict((oc) => oc.columns(['user_id', 'key']).doUpdateSet({ request_hash: hash, booking_id: r.id, created_at: sql`now()` }).where('bookings.idempotency_keys.created_at', '<', sql<Date>`now() - interval '24 hours'`))
    .returning('booking_id')
    .executeTakeFirst();
  if (claimed) return undefined;
  const earlier = await trx.selectFrom('bookings.idempotency_keys').select(['request_hash', 'booking_id']).where('user_id', '=', r.actor.id).where('key', '=', key).executeTakeFirstOrThrow();
  if (earlier.request_hash !== hash) throw keyReused();
  return (await findBooking(trx, earlier.booking_id))!;
}
