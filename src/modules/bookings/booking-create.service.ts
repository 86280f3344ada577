import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { newId, type Tx } from '../../kernel/index.js';
import { audit, findBooking, insertBooking, newReference, takeUserSeats, type Booking } from './booking.repository.js';
import { bookingMessage } from './booking.events.js';
import { bookingsError } from './bookings.errors.js';
import type { BookingsDeps } from './bookings.deps.js';
import { availabilityChanged, findLedger, moveSeats } from './ledger.repository.js';
import type { Actor } from './actor.js';

export interface NewBooking {
  event_id: string;
  quantity: number;
  notes?: string;
}

const soldOut = (available: number) => bookingsError('SOLD_OUT', `only ${available} seat(s) left`, { details: [{ field: 'quantity', message: `${available} available`, available }] });
const notBookable = (why: string) => bookingsError('EVENT_NOT_BOOKABLE', why);

/** The request as the Idempotency-Key remembers it: same key, same body → the same booking. */
const fingerprint = (b: NewBooking) => createHash('sha256').update(JSON.stringify([b.event_id, b.quantity, b.notes ?? null])).digest('base64url');

/**
 * A hold on `quantity` seats until `expires_at`. One short READ COMMITTED transaction: the key, the
 * user's cap (a conditional upsert on the user's own row), the booking and its messages, and last the
 * ledger's conditional update, so the event's row is locked only for the rest of the commit. A
 * sold-out event is refused by a read, with nothing written.
 */
export async function createBooking(deps: BookingsDeps, actor: Actor, input: NewBooking, idempotencyKey?: string): Promise<{ booking: Booking; replayed: boolean }> {
  const event = await deps.db.selectFrom('bookings.events').selectAll().where('event_id', '=', input.event_id).executeTakeFirst();
  if (!event || event.status === 'deleted' || event.status === 'draft') throw notBookable('no such event on sale');
  if (event.status !== 'published') throw notBookable(`the event is ${event.status}`);
  if (event.starts_at <= new Date()) throw notBookable('the event has started');
  if (input.quantity > event.max_per_booking) throw bookingsError('LIMIT_EXCEEDED', `at most ${event.max_per_booking} seat(s) per booking`, { details: [{ field: 'quantity', message: `at most ${event.max_per_booking}` }] });
  const seen = await findLedger(deps.db, input.event_id);
  if (!seen) throw notBookable('no such event on sale');
  if (seen.available < input.quantity && !idempotencyKey) throw soldOut(seen.available);

  const id = newId();
  return deps.transaction(async (trx: Tx) => {
    if (idempotencyKey) {
      const earlier = await claimKey(trx, actor.id, idempotencyKey, fingerprint(input), id);
      if (earlier) return { booking: earlier, replayed: true };
      if (seen.available < input.quantity) throw soldOut(seen.available);
    }
    if (!(await takeUserSeats(trx, actor.id, input.event_id, input.quantity, event.max_per_user))) {
      throw bookingsError('LIMIT_EXCEEDED', `at most ${event.max_per_user} seat(s) per user for this event, across your active bookings`);
    }
    const booking = await insertBooking(trx, {
      id,
      reference: newReference(),
      user_id: actor.id,
      event_id: input.event_id,
      quantity: input.quantity,
      amount: (Number(event.price) * input.quantity).toFixed(2),
      currency: event.currency,
      notes: input.notes ?? null,
      expires_at: new Date(Date.now() + deps.config.holdMs),
    });
    await audit(trx, [{ booking, before: null, action: 'held', actor, request: actor.request }]);
    await deps.outbox.add(trx, bookingMessage('bookings.booking.held', booking));
    // Last: the event's row stays locked only until the commit.
    const ledger = await moveSeats(trx, input.event_id, 'hold', input.quantity);
    if (!ledger) throw soldOut((await findLedger(trx, input.event_id))?.available ?? 0);
    await deps.outbox.add(trx, availabilityChanged(ledger));
    return { booking, replayed: false };
  });
}

/**
 * Claims the key for this booking, or finds what it was used for: a concurrent request with the same
 * key waits here for the first one's commit (the primary key) and then reads its booking. A key older
 * than a day is taken over.
 */
async function claimKey(trx: Tx, userId: string, key: string, hash: string, bookingId: string): Promise<Booking | undefined> {
  const claimed = await trx
    .insertInto('bookings.idempotency_keys')
    .values({ user_id: userId, key, request_hash: hash, booking_id: bookingId })
    .onConflict((oc) => oc.columns(['user_id', 'key']).doUpdateSet({ request_hash: hash, booking_id: bookingId, created_at: sql`now()` }).where('bookings.idempotency_keys.created_at', '<', sql<Date>`now() - interval '24 hours'`))
    .returning('booking_id')
    .executeTakeFirst();
  if (claimed) return undefined;
  const earlier = await trx.selectFrom('bookings.idempotency_keys').select(['request_hash', 'booking_id']).where('user_id', '=', userId).where('key', '=', key).executeTakeFirstOrThrow();
  if (earlier.request_hash !== hash) throw bookingsError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body');
  return (await findBooking(trx, earlier.booking_id))!;
}
