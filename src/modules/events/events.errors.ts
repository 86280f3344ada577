import { defineErrors } from '../../kernel/index.js';

/** The events module's own error codes (stable: clients switch on them). */
export const eventsError = defineErrors({
  /** The change is not allowed in the event's state (publish a cancelled event, edit a completed one…). */
  EVENT_STATE_CONFLICT: 409,
  /** The event has sold (or holds) seats: it cannot be deleted, only cancelled. */
  EVENT_HAS_BOOKINGS: 409,
  /** A capacity below the seats already sold or held. */
  CAPACITY_BELOW_BOOKED: 409,
});
