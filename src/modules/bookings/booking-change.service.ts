import { AppError, type Tx } from '../../kernel/index.js';
import type { Actor } from './actor.js';
import { audit, changeBooking, findBooking, giveBackUserSeats, type Booking, type BookingStatus } from './booking.repository.js';
import { bookingMessage } from './booking.events.js';
import { bookingsError } from './bookings.errors.js';
import type { BookingsDeps } from './bookings.deps.js';
import { moveSeats, type SeatMove } from './ledger.repository.js';
import { settle } from './line.js';
import { PaymentDeclined } from './payment.js';
import { oweRefund, sendRefunds } from './refunds.js';

const notFound = () => new AppError('NOT_FOUND', 'no such booking');
const conflict = (b: Booking, what: string) => bookingsError('BOOKING_STATE_CONFLICT', `a ${b.status} booking cannot be ${what}`);

/** The booking, if the actor may see it: its owner or an admin (anyone else: 404, never 403). */
export async function visibleBooking(deps: BookingsDeps, actor: Actor, id: string): Promise<Booking> {
  const b = await findBooking(deps.db, id.toLowerCase());
  if (!b || (actor.role !== 'admin' && b.user_id !== actor.id)) throw notFound();
  return b;
}

const MESSAGE = { confirmed: 'bookings.booking.confirmed', cancelled: 'bookings.booking.cancelled', expired: 'bookings.booking.expired', refunded: 'bookings.booking.refunded' } as const;

/**
 * One change of one booking in the caller's transaction: the compare-and-set, the user's seats back
 * (when the booking stops being active), the ledger's move (seats given back go to the waitlist
 * first), the audit row and the messages. Undefined
 * when the booking was no longer as read (someone else changed it first).
 */
export async function applyChange(
  deps: BookingsDeps,
  trx: Tx,
  b: Booking,
  to: Exclude<BookingStatus, 'pending'>,
  who: { actor: Pick<Actor, 'id' | 'role'> | { id: null; role: 'system' }; request?: Actor['request']; reason?: string | null; paymentRef?: string },
  /** The event is cancelled: its users' caps no longer matter (and their rows are not locked). */
  eventCancelled = false,
): Promise<Booking | undefined> {
  const after = await changeBooking(trx, b, b.status, to, { unexpired: to === 'confirmed', cancel_reason: who.reason, payment_ref: who.paymentRef });
  if (!after) return undefined;
  if (to !== 'confirmed' && !eventCancelled) await giveBackUserSeats(trx, b.user_id, b.event_id, b.quantity);
  const move: SeatMove = to === 'confirmed' ? 'confirm' : b.status === 'confirmed' ? 'refund' : 'release';
  if (to === 'refunded' && after.payment_ref) await oweRefund(trx, { ...after, payment_ref: after.payment_ref });
  await audit(trx, [{ booking: after, before: b, action: to, actor: who.actor, reason: who.reason, request: who.request }]);
  await deps.outbox.add(trx, bookingMessage(MESSAGE[to], after, eventCancelled ? 'event_cancelled' : undefined));
  // Last: the event's row stays locked only until the commit. It cannot fail: the seats are there.
  const ledger = await moveSeats(trx, b.event_id, move, b.quantity);
  if (!ledger) throw new Error(`ledger of ${b.event_id} has not the ${b.quantity} seat(s) a ${b.status} booking counts`);
  await settle(deps, trx, ledger);
  return after;
}

/**
 * Pays for a hold. The provider is called outside any transaction; the confirmation is then a
 * compare-and-set that also needs the hold unexpired, so a late confirm gets 409 HOLD_EXPIRED (and its
 * payment is given back) and never takes seats the sweep released.
 */
export async function confirmBooking(deps: BookingsDeps, actor: Actor, id: string): Promise<Booking> {
  const b = await visibleBooking(deps, actor, id);
  if (b.status === 'confirmed') return b;
  if (b.status !== 'pending') throw conflict(b, 'confirmed');
  if (b.expires_at <= new Date()) throw bookingsError('HOLD_EXPIRED', 'the hold has expired: its seats are released');
  const charge = { booking_id: b.id, reference: b.reference, amount: b.amount, currency: b.currency };
  let paymentRef: string;
  try {
    paymentRef = await deps.payments.charge(charge);
  } catch (err) {
    if (err instanceof PaymentDeclined) throw bookingsError('PAYMENT_DECLINED', err.message);
    throw err;
  }
  const after = await deps.transaction((trx) => applyChange(deps, trx, b, 'confirmed', { actor, request: actor.request, paymentRef }));
  if (after) return after;
  await giveBack(deps, { ...b, payment_ref: paymentRef });
  const now = (await findBooking(deps.db, b.id))!;
  if (now.status === 'confirmed') return now;
  throw now.status === 'expired' || now.expires_at <= new Date() ? bookingsError('HOLD_EXPIRED', 'the hold expired before the payment went through: it was given back') : conflict(now, 'confirmed');
}

/**
 * Cancels a booking: a hold is released; a confirmed booking is refunded (by its owner only until
 * BOOKINGS_REFUND_CUTOFF_HOURS before the event; admins any time). The database change commits
 * first, recording the refund it owes; the money goes back after it (retried by the sweep until the
 * provider takes it).
 */
export async function cancelBooking(deps: BookingsDeps, actor: Actor, id: string, reason?: string): Promise<Booking> {
  const b = await visibleBooking(deps, actor, id);
  if (b.status !== 'pending' && b.status !== 'confirmed') throw conflict(b, 'cancelled');
  if (b.status === 'confirmed' && actor.role !== 'admin') {
    const event = await deps.db.selectFrom('bookings.events').select('starts_at').where('event_id', '=', b.event_id).executeTakeFirst();
    if (event && event.starts_at.getTime() - Date.now() < deps.config.refundCutoffMs) {
      throw bookingsError('REFUND_CUTOFF', `confirmed bookings are refunded until ${deps.config.refundCutoffMs / 3_600_000} hour(s) before the event`);
    }
  }
  const to = b.status === 'confirmed' ? 'refunded' : 'cancelled';
  const after = await deps.transaction((trx) => applyChange(deps, trx, b, to, { actor, request: actor.request, reason: reason?.trim() || null }));
  if (!after) {
    const now = (await findBooking(deps.db, b.id))!;
    throw conflict(now, 'cancelled');
  }
  if (after.status === 'refunded' && after.payment_ref) await sendRefundsQuietly(deps, [after.payment_ref]);
  return after;
}

/** A payment that found its hold expired: owed back durably first, then sent. */
async function giveBack(deps: BookingsDeps, b: Booking & { payment_ref: string }): Promise<void> {
  try {
    await deps.transaction((trx) => oweRefund(trx, b));
  } catch (err) {
    deps.logger.error({ err, booking_id: b.id, payment_ref: b.payment_ref }, 'a payment for a hold that expired meanwhile could not be recorded for its refund: refund it by hand');
    return;
  }
  await sendRefundsQuietly(deps, [b.payment_ref]);
}

/** Sends the refunds now; whatever fails stays due for the sweep (BOOKINGS_EXPIRE_EVERY_S). */
export async function sendRefundsQuietly(deps: BookingsDeps, paymentRefs: string[]): Promise<void> {
  await sendRefunds(deps, paymentRefs).catch((err: unknown) => deps.logger.error({ err, payment_refs: paymentRefs }, 'refunds not sent now: the sweep retries them'));
}
