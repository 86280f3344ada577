import type { BookingsPayload } from '../../contracts/bookings.js';
import type { NewEvent } from '../../kernel/index.js';
import type { Entry } from './waitlist.repository.js';

type WaitlistMessage = 'bookings.waitlist.joined' | 'bookings.waitlist.offered' | 'bookings.waitlist.cancelled' | 'bookings.waitlist.expired' | 'bookings.waitlist.converted';

/** The entry as it stands after the change (its version included), as the contract says. */
/** `cause`: the event's cancellation cascading (see the contract). */
export function waitlistMessage(type: WaitlistMessage, e: Entry, position: number | null = null, cause?: 'event_cancelled'): NewEvent<BookingsPayload<WaitlistMessage>> {
  return {
    type,
    version: 1,
    payload: {
      entry_id: e.id,
      user_id: e.user_id,
      event_id: e.event_id,
      quantity: e.quantity,
      priority: e.priority,
      status: e.status,
      position: e.status === 'waiting' ? position : null,
      offer_expires_at: e.status === 'offered' && e.offer_expires_at ? e.offer_expires_at.toISOString() : null,
      booking_id: e.booking_id,
      reason: e.reason,
      ...(cause ? { cause } : {}),
      entity_version: e.version,
    },
  };
}
