import { randomInt } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BookingsBookings, DB as BookingsTables } from './bookings.tables.js';

type Executor = Kysely<BookingsTables> | Transaction<BookingsTables>;

export type BookingStatus = 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'refunded';
export type Booking = Omit<Selectable<BookingsBookings>, 'status' | 'amount'> & { status: BookingStatus; amount: string };

/** Seats a booking in this state counts against the ledger and the user's cap. */
export const ACTIVE: readonly BookingStatus[] = ['pending', 'confirmed'];

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `BK-YYYYMMDD-XXXXXXXX`: the UTC day, then 8 random characters (36^8 per day: never guessed in order). */
export function newReference(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `BK-${day}-${Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('')}`;
}

export async function insertBooking(db: Executor, b: Pick<Booking, 'id' | 'reference' | 'user_id' | 'event_id' | 'quantity' | 'amount' | 'currency' | 'notes' | 'expires_at'>): Promise<Booking> {
  return (await db.insertInto('bookings.bookings').values({ ...b, status: 'pending' }).returningAll().executeTakeFirstOrThrow()) as Booking;
}

export async function findBooking(db: Executor, id: string): Promise<Booking | undefined> {
  return (await db.selectFrom('bookings.bookings').selectAll().where('id', '=', id).executeTakeFirst()) as Booking | undefined;
}

/**
 * A compare-and-set: the booking moves only if it is still in `from` at `version` (and, for a hold,
 * not expired when `unexpired`). Undefined when someone else moved it first.
 */
export async function changeBooking(
  db: Executor,
  b: Pick<Booking, 'id' | 'version'>,
  from: BookingStatus,
  to: BookingStatus,
  extra: { payment_ref?: string | null; cancel_reason?: string | null; unexpired?: boolean } = {},
): Promise<Booking | undefined> {
  const stamp = { confirmed: 'confirmed_at', cancelled: 'cancelled_at', expired: 'expired_at', refunded: 'refunded_at', pending: undefined }[to];
  let q = db
    .updateTable('bookings.bookings')
    .set({
      status: to,
      version: sql`version + 1`,
      updated_at: sql`now()`,
      ...(stamp ? { [stamp]: sql`now()` } : {}),
      ...(extra.payment_ref !== undefined ? { payment_ref: extra.payment_ref } : {}),
      ...(extra.cancel_reason !== undefined ? { cancel_reason: extra.cancel_reason } : {}),
    })
    .where('id', '=', b.id)
    .where('status', '=', from)
    .where('version', '=', b.version);
  if (extra.unexpired) q = q.where('expires_at', '>', sql<Date>`now()`);
  return (await q.returningAll().executeTakeFirst()) as Booking | undefined;
}

/**
 * Adds seats to the user's count for the event unless it would pass `max`, in one conditional upsert
 * (parallel requests of one user queue on its row). False: the cap would be passed.
 */
export async function takeUserSeats(db: Executor, userId: string, eventId: string, seats: number, max: number): Promise<boolean> {
  if (seats > max) return false;
  const row = await db
    .insertInto('bookings.user_seats')
    .values({ user_id: userId, event_id: eventId, seats })
    .onConflict((oc) => oc.columns(['user_id', 'event_id']).doUpdateSet({ seats: sql`bookings.user_seats.seats + excluded.seats` }).where(sql<boolean>`bookings.user_seats.seats + excluded.seats <= ${max}`))
    .returning('seats')
    .executeTakeFirst();
  return row !== undefined;
}

export async function giveBackUserSeats(db: Executor, userId: string, eventId: string, seats: number): Promise<void> {
  await db.updateTable('bookings.user_seats').set({ seats: sql`greatest(0, seats - ${seats})` }).where('user_id', '=', userId).where('event_id', '=', eventId).execute();
}

export interface AuditEntry {
  booking: Booking;
  before: Booking | null;
  action: string;
  actor: { id: string | null; role: 'user' | 'admin' | 'system' };
  reason?: string | null;
  request?: { id?: string; ip?: string; userAgent?: string };
}

const snapshot = (b: Booking) => JSON.stringify({ status: b.status, version: b.version, quantity: b.quantity, amount: b.amount, expires_at: b.expires_at, payment_ref: b.payment_ref });

/** One append-only row per change: who, what, from which state to which, why, from where. */
export async function audit(db: Executor, entries: AuditEntry[]): Promise<void> {
  if (!entries.length) return;
  await db.insertInto('bookings.audit_log').values(entries.map((e) => ({
    booking_id: e.booking.id,
    event_id: e.booking.event_id,
    actor_id: e.actor.id,
    actor_role: e.actor.role,
    action: e.action,
    before: e.before && snapshot(e.before),
    after: snapshot(e.booking),
    reason: e.reason ?? null,
    request_id: e.request?.id ?? null,
    ip: e.request?.ip ?? null,
    user_agent: e.request?.userAgent?.slice(0, 500) ?? null,
  }))).execute();
}
