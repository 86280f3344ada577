import type { Actor } from './actor.js';
import type { Booking } from './booking.repository.js';
import { bookingsError } from './bookings.errors.js';

/** A hold to write, checked already against the event (on sale, max_per_booking). */
export interface HoldRequest {
  id: string;
  actor: Actor;
  event_id: string;
  quantity: number;
  notes: string | null;
  /** Idempotency-Key, and the fingerprint of the request it must match. */
  key?: { key: string; hash: string };
  price: string;
  currency: string;
  maxPerUser: number;
}

export interface HoldResult {
  booking: Booking;
  /** An earlier request with the same Idempotency-Key made it. */
  replayed: boolean;
}

/**
 * The write path of a hold, behind one interface so strategies can be swapped and measured
 * (BOOKINGS_WRITE_STRATEGY; `npm run bench:flash-sale` compares them). Throws the request's AppError.
 */
export interface HoldWriter {
  readonly strategy: string;
  hold(request: HoldRequest): Promise<HoldResult>;
}

/** Refused for want of seats while the event is on sale: its waitlist is open (POST /api/v1/waitlist). */
export const soldOut = (available: number) => bookingsError('SOLD_OUT', `only ${available} seat(s) left: the waitlist is open`, { details: [{ field: 'quantity', message: `${available} available`, available, waitlist_open: true }] });
export const overBookingCap = (max: number) => bookingsError('LIMIT_EXCEEDED', `at most ${max} seat(s) per booking`, { details: [{ field: 'quantity', message: `at most ${max}` }] });
export const overUserCap = (max: number) => bookingsError('LIMIT_EXCEEDED', `at most ${max} seat(s) per user for this event, across your active bookings`);
export const notOnSale = () => bookingsError('EVENT_NOT_BOOKABLE', 'the event is no longer on sale');
export const keyReused = () => bookingsError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with another request body');

/** The booking row of a hold. */
export function holdRow(r: HoldRequest, reference: string, holdMs: number) {
  return {
    id: r.id,
    reference,
    user_id: r.actor.id,
    event_id: r.event_id,
    quantity: r.quantity,
    amount: times(r.price, r.quantity),
    currency: r.currency,
    notes: r.notes,
    expires_at: new Date(Date.now() + holdMs),
  };
}

/** "12.50" × 3 → "37.50", exactly (in cents, as integers: money is never a float). */
export function times(price: string, quantity: number): string {
  const [whole = '0', fraction = ''] = price.split('.');
  const cents = (BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2))) * BigInt(quantity);
  return `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
}
