import { AppError, newId, type Tx } from '../../kernel/index.js';
import type { Actor } from './actor.js';
import { audit, findBooking, insertBooking, newReference, takeUserSeats, type Booking } from './booking.repository.js';
import { bookingMessage } from './booking.events.js';
import { bookingsError } from './bookings.errors.js';
import type { BookingsDeps } from './bookings.deps.js';
import { holdRow, notOnSale, overBookingCap, overUserCap } from './hold.js';
import { changeLine, forSale, lockLedger } from './ledger.repository.js';
import { leaveLine, onSale, settle } from './line.js';
import { waitlistMessage } from './waitlist.events.js';
import { changeEntry, findEntry, insertEntry, positions, type Entry } from './waitlist.repository.js';

const notFound = () => new AppError('NOT_FOUND', 'no such waitlist entry');
const conflict = (e: Entry, what: string) => bookingsError('WAITLIST_STATE_CONFLICT', `a ${e.status} waitlist entry cannot be ${what}`);

/** The entry, if the actor may see it: its owner or an admin (anyone else: 404, never 403). */
export async function visibleEntry(deps: BookingsDeps, actor: Pick<Actor, 'id' | 'role'>, id: string): Promise<Entry> {
  const e = await findEntry(deps.db, id.toLowerCase());
  if (!e || (actor.role !== 'admin' && e.user_id !== actor.id)) throw notFound();
  return e;
}

async function positionOf(trx: Tx, e: Entry): Promise<number | null> {
  return (await positions(trx, [e])).get(e.id) ?? null;
}

/**
 * Joins the event's line, for when fewer seats can be held than asked for (or others already wait).
 * Under the ledger's row lock, so a seat given back meanwhile is either there to book (409
 * SEATS_AVAILABLE) or offered down the line with this entry in it.
 */
export async function joinWaitlist(deps: BookingsDeps, actor: Actor, input: { event_id: string; quantity: number }): Promise<{ entry: Entry; position: number | null }> {
  const eventId = input.event_id.toLowerCase();
  const event = await deps.db.selectFrom('bookings.events').selectAll().where('event_id', '=', eventId).executeTakeFirst();
  if (!event || event.status !== 'published' || event.starts_at <= new Date()) throw notOnSale();
  if (input.quantity > event.max_per_booking) throw overBookingCap(event.max_per_booking);
  return deps.transaction(async (trx) => {
    const ledger = await lockLedger(trx, eventId);
    if (!ledger || !(await onSale(trx, eventId))) throw notOnSale();
    if (forSale(ledger) >= input.quantity) throw bookingsError('SEATS_AVAILABLE', `${forSale(ledger)} seat(s) can be held now: book them instead`);
    // An entry the event can never seat would head the line, and hold it up, for good.
    if (input.quantity > ledger.capacity) throw bookingsError('LIMIT_EXCEEDED', `the event has ${ledger.capacity} seat(s) in all`, { details: [{ field: 'quantity', message: `at most ${ledger.capacity}` }] });
    const mine = await trx.selectFrom('bookings.user_seats').select('seats').where('user_id', '=', actor.id).where('event_id', '=', eventId).executeTakeFirst();
    if ((mine?.seats ?? 0) + input.quantity > event.max_per_user) throw overUserCap(event.max_per_user);
    const entry = await insertEntry(trx, { id: newId(), user_id: actor.id, event_id: eventId, quantity: input.quantity });
    if (!entry) throw bookingsError('ALREADY_WAITLISTED', 'you already wait for this event (or hold its offer)');
    await deps.outbox.add(trx, waitlistMessage('bookings.waitlist.joined', entry, await positionOf(trx, entry)));
    // Offers nothing, unless admins moved entries down the line behind this one while seats wait for
    // the head: then this entry may now head the line and fit them.
    await settle(deps, trx, await changeLine(trx, eventId, { waiting: 1 }));
    // As it is now: possibly offered its seats already.
    const now = (await findEntry(trx, entry.id))!;
    return { entry: now, position: await positionOf(trx, now) };
  });
}

/**
 * Leaves the line, or declines an offer (its seats pass to the next entry). The owner or an admin.
 * The ledger's row is locked first, as by every change of the line.
 */
export async function cancelEntry(deps: BookingsDeps, actor: Actor, id: string, reason?: string | null): Promise<Entry> {
  const e = await visibleEntry(deps, actor, id);
  if (e.status !== 'waiting' && e.status !== 'offered') throw conflict(e, 'cancelled');
  const after = await deps.transaction(async (trx) => {
    await lockLedger(trx, e.event_id);
    const done = await changeEntry(trx, e, e.status, { status: 'cancelled', reason: reason?.trim() || null });
    if (!done) return undefined;
    await deps.outbox.add(trx, waitlistMessage('bookings.waitlist.cancelled', done));
    await settle(deps, trx, await leaveLine(trx, e.event_id, [done]));
    return done;
  });
  if (after) return after;
  throw conflict((await findEntry(deps.db, e.id))!, 'cancelled');
}

/**
 * Accepts an offer: its seats (held for it already) become a pending booking that holds them for
 * BOOKINGS_HOLD_MINUTES, to be confirmed like any other. The user's cap is taken first (its row, then
 * the entry: the order every path that takes both uses). Accepting again returns the same booking.
 */
export async function acceptOffer(deps: BookingsDeps, actor: Actor, id: string): Promise<{ booking: Booking; created: boolean }> {
  const e = await visibleEntry(deps, { id: actor.id, role: 'user' }, id);
  if (e.status === 'converted') return { booking: (await findBooking(deps.db, e.booking_id!))!, created: false };
  if (e.status !== 'offered') throw conflict(e, 'accepted');
  if (e.offer_expires_at! <= new Date()) throw bookingsError('OFFER_EXPIRED', 'the offer ran out: its seats passed on');
  const event = await deps.db.selectFrom('bookings.events').selectAll().where('event_id', '=', e.event_id).executeTakeFirstOrThrow();
  let booking: Booking;
  try {
    booking = await deps.transaction(async (trx) => {
      if (!(await takeUserSeats(trx, actor.id, e.event_id, e.quantity, event.max_per_user))) throw overUserCap(event.max_per_user);
      const bookingId = newId();
      const done = await changeEntry(trx, e, 'offered', { status: 'converted', booking_id: bookingId }, { unexpiredOffer: true });
      // Thrown, not returned: the user's seats taken above must go back with the rest.
      if (!done) throw new Overtaken();
      if (!(await onSale(trx, e.event_id))) throw notOnSale();
      const row = holdRow({ id: bookingId, actor, event_id: e.event_id, quantity: e.quantity, notes: null, price: event.price, currency: event.currency, maxPerUser: event.max_per_user }, newReference(), deps.config.holdMs);
      const b = await insertBooking(trx, row);
      await audit(trx, [{ booking: b, before: null, action: 'held', actor, reason: 'waitlist offer accepted', request: actor.request }]);
      await deps.outbox.add(trx, bookingMessage('bookings.booking.held', b), waitlistMessage('bookings.waitlist.converted', done));
      return b;
    });
  } catch (err) {
    // Someone else moved the entry first (often the same user accepting twice at once, whose other
    // request may also have filled the cap): what it is now decides the answer.
    if (!(err instanceof Overtaken || (err instanceof AppError && err.code === 'LIMIT_EXCEEDED'))) throw err;
    return settledAccept(deps, e.id, err);
  }
  return { booking, created: true };
}

/** Thrown inside the accepting transaction when the entry was no longer as read: rolls it back. */
class Overtaken extends Error {}

async function settledAccept(deps: BookingsDeps, id: string, err: unknown): Promise<{ booking: Booking; created: boolean }> {
  const now = (await findEntry(deps.db, id))!;
  if (now.status === 'converted') return { booking: (await findBooking(deps.db, now.booking_id!))!, created: false };
  if (now.status === 'expired' || (now.status === 'offered' && now.offer_expires_at! <= new Date())) throw bookingsError('OFFER_EXPIRED', 'the offer ran out: its seats passed on');
  if (now.status === 'offered') throw err;
  throw conflict(now, 'accepted');
}

/**
 * An admin moves a waiting entry up or down the line; if it now heads the line and fits the seats
 * kept for the line, it is offered them at once.
 */
export async function setPriority(deps: BookingsDeps, id: string, priority: number): Promise<Entry> {
  const e = await visibleEntry(deps, { id: '', role: 'admin' }, id);
  if (e.status !== 'waiting') throw conflict(e, 'moved in the line');
  const after = await deps.transaction(async (trx) => {
    const ledger = await lockLedger(trx, e.event_id);
    const done = await changeEntry(trx, e, 'waiting', { priority });
    if (done && ledger) await settle(deps, trx, ledger, { changed: false });
    return done && ((await findEntry(trx, done.id)) ?? done);
  });
  if (after) return after;
  throw conflict((await findEntry(deps.db, e.id))!, 'moved in the line');
}

