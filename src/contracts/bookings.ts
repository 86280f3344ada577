import { Type } from 'typebox';
import { EntityVersion, Time, Uuid } from './common.js';
import type { EventContract, PayloadOf } from './contract.js';

const BookingStatus = Type.Enum(['pending', 'confirmed', 'cancelled', 'expired', 'refunded']);

/**
 * Set when the change is the cascade of the event's cancellation (absent otherwise): notifications
 * tells each attendee once that the event is off, instead of once per booking and entry.
 */
const Cause = Type.Optional(Type.Literal('event_cancelled'));

/** A booking as it is after the change the message reports. */
const BookingState = Type.Object({
  booking_id: Uuid,
  reference: Type.String({ pattern: '^BK-[0-9]{8}-[0-9A-Z]{8}$' }),
  user_id: Uuid,
  event_id: Uuid,
  quantity: Type.Integer({ minimum: 1 }),
  status: BookingStatus,
  /** Decimal string with two decimals: what the seats cost when they were held. */
  amount: Type.String({ pattern: '^[0-9]+\\.[0-9]{2}$' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  /** Until when a pending booking holds its seats. */
  expires_at: Time,
  /** Why it was cancelled or refunded, when someone said. */
  reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  cause: Cause,
  entity_version: EntityVersion,
});

const booking = { version: 1, payload: BookingState } as const;

/** A waitlist entry as it is after the change the message reports. */
const WaitlistState = Type.Object({
  entry_id: Uuid,
  user_id: Uuid,
  event_id: Uuid,
  quantity: Type.Integer({ minimum: 1 }),
  priority: Type.Integer(),
  status: Type.Enum(['waiting', 'offered', 'converted', 'cancelled', 'expired']),
  /** Place in the line (1 is next) while waiting; null otherwise. */
  position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  /** Until when an offer holds its seats. */
  offer_expires_at: Type.Union([Time, Type.Null()]),
  /** The booking an accepted offer became. */
  booking_id: Type.Union([Uuid, Type.Null()]),
  reason: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
  cause: Cause,
  entity_version: EntityVersion,
});

const waitlist = { version: 1, payload: WaitlistState } as const;

/**
 * The events the bookings module publishes. Consumers: events (the seats shown in the catalogue),
 * notifications (a mail per booking change), analytics.
 */
export const BOOKINGS_EVENTS = {
  /**
   * The seats of one event as the bookings ledger counts them after a change. `ledger_version`
   * grows with every change of the event's ledger, so a consumer keeps the newest whatever the
   * delivery order. `sold` counts seats of confirmed bookings, `held` those of live holds and
   * waitlist offers; the bookings module has the last word on both. `available` is what the public
   * can hold now: none while `waiting` entries are in the event's line (seats given back then go
   * to the line; a few may be kept back until the head's quantity is free).
   */
  'bookings.availability.changed': {
    version: 1,
    payload: Type.Object({
      event_id: Uuid,
      capacity: Type.Integer({ minimum: 0 }),
      held: Type.Integer({ minimum: 0 }),
      sold: Type.Integer({ minimum: 0 }),
      available: Type.Integer({ minimum: 0 }),
      waiting: Type.Integer({ minimum: 0 }),
      ledger_version: Type.Integer({ minimum: 1 }),
    }),
  },
  /** A hold: the seats are the user's until `expires_at` unless confirmed. */
  'bookings.booking.held': booking,
  'bookings.booking.confirmed': booking,
  /** A pending booking cancelled (by its owner, an admin, or the event's cancellation): seats released. */
  'bookings.booking.cancelled': booking,
  /** A hold not confirmed in time: seats released. */
  'bookings.booking.expired': booking,
  /** A confirmed booking cancelled and paid back: seats released. */
  'bookings.booking.refunded': booking,
  /** A user joined an event's line (with the place they got). */
  'bookings.waitlist.joined': waitlist,
  /** Seats are held for the entry until `offer_expires_at`: accepting turns them into a booking. */
  'bookings.waitlist.offered': waitlist,
  /** Left the line or declined an offer (by its owner, an admin, or the event's cancellation). */
  'bookings.waitlist.cancelled': waitlist,
  /** An offer ran out unaccepted, or the event stopped selling while the entry waited. */
  'bookings.waitlist.expired': waitlist,
  /** An offer accepted: `booking_id` is the hold it became. */
  'bookings.waitlist.converted': waitlist,
} as const satisfies Record<string, EventContract>;

export type BookingsEventType = keyof typeof BOOKINGS_EVENTS;
export type BookingsPayload<T extends BookingsEventType> = PayloadOf<(typeof BOOKINGS_EVENTS)[T]>;
