import type { BookingsPayload } from '../../contracts/bookings.js';
import type { NewEvent } from '../../kernel/index.js';
import type { Booking } from './booking.repository.js';

type BookingMessage = 'bookings.booking.held' | 'bookings.booking.confirmed' | 'bookings.booking.cancelled' | 'bookings.booking.expired' | 'bookings.booking.refunded';

/** The booking as it stands after the change (its version included), as the contract says. */
/** `cause`: the event's cancellation cascading (see the contract). */
export function bookingMessage(type: BookingMessage, b: Booking, cause?: 'event_cancelled'): NewEvent<BookingsPayload<BookingMessage>> {
  return {
    type,
    version: 1,
    payload: {
      booking_id: b.id,
      reference: b.reference,
      user_id: b.user_id,
      event_id: b.event_id,
      quantity: b.quantity,
      status: b.status,
      amount: b.amount,
      currency: b.currency,
      expires_at: b.expires_at.toISOString(),
      reason: b.cancel_reason,
      ...(cause ? { cause } : {}),
      entity_version: b.version,
    },
  };
}
