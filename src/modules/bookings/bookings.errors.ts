import { defineErrors } from '../../kernel/index.js';

/** The bookings module's own error codes (stable: clients switch on them). */
export const bookingsError = defineErrors({
  /** Fewer seats are available than asked for (`details.waitlist_open` says whether joining helps). */
  SOLD_OUT: 409,
  /** The event is not on sale: unknown to bookings, not published, cancelled, completed or started. */
  EVENT_NOT_BOOKABLE: 409,
  /** The user's active seats for the event would pass its `max_per_user`, or one booking its `max_per_booking`. */
  LIMIT_EXCEEDED: 409,
  /** The hold ran out before the confirmation: its seats are released. */
  HOLD_EXPIRED: 409,
  /** The change is not allowed in the booking's state (confirm a cancelled booking…). */
  BOOKING_STATE_CONFLICT: 409,
  /** Too close to the event for a refund (BOOKINGS_REFUND_CUTOFF_HOURS). */
  REFUND_CUTOFF: 409,
  /** The same Idempotency-Key was used with another request body. */
  IDEMPOTENCY_KEY_REUSED: 422,
  /** The user already has a live waitlist entry for the event (waiting or offered). */
  ALREADY_WAITLISTED: 409,
  /** Seats can be held now: book them instead of joining the waitlist. */
  SEATS_AVAILABLE: 409,
  /** The change is not allowed in the entry's state (accept an offer not made, cancel a converted entry…). */
  WAITLIST_STATE_CONFLICT: 409,
  /** The offer ran out before it was accepted: its seats passed on. */
  OFFER_EXPIRED: 409,
  /** The payment provider declined the payment: the hold is kept until it expires. */
  PAYMENT_DECLINED: 402,
});
