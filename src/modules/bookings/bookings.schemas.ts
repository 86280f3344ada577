import { Type, type Static } from 'typebox';
import { PageOf, StrictObject } from '../../kernel/index.js';

export const Time = Type.String({ format: 'date-time' });
export const Id = Type.String({ format: 'uuid' });
const Money = Type.String({ description: 'Two decimals, e.g. "50.00"' });
export const BOOKING_STATUSES = ['pending', 'confirmed', 'cancelled', 'expired', 'refunded'] as const;
const Status = Type.Enum([...BOOKING_STATUSES]);

export const CreateBookingBody = StrictObject({
  event_id: Id,
  quantity: Type.Integer({ minimum: 1, maximum: 1000, description: "1 to the event's max_per_booking" }),
  notes: Type.Optional(Type.String({ maxLength: 1000, pattern: '^[^\\u0000]*$' })),
});
export type CreateBookingBody = Static<typeof CreateBookingBody>;

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$', description: 'The same key and body give the same booking (kept 24 h); another body with it → 422' })),
});

export const CancelBookingBody = Type.Union([StrictObject({ reason: Type.Optional(Type.String({ maxLength: 500, pattern: '^[^\\u0000]*$' })) }), Type.Null()]);
export type CancelBookingBody = Static<typeof CancelBookingBody>;

export const BookingParams = StrictObject({ id: Id });
export const EventParams = StrictObject({ event_id: Id });

export const Paging = {
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

export const BookingQuery = StrictObject({
  status: Type.Optional(Status),
  event_id: Type.Optional(Id),
  ...Paging,
});
export type BookingQuery = Static<typeof BookingQuery>;

export const BookingView = Type.Object({
  id: Id,
  reference: Type.String({ description: 'BK-YYYYMMDD-XXXXXXXX' }),
  event_id: Id,
  user_id: Id,
  quantity: Type.Integer(),
  status: Status,
  amount: Money,
  currency: Type.String(),
  notes: Type.Union([Type.String(), Type.Null()]),
  expires_at: Type.Union([Time, Type.Null()], { description: 'Until when a pending booking holds its seats; null once it is not pending' }),
  cancel_reason: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  created_at: Time,
  updated_at: Time,
  confirmed_at: Type.Union([Time, Type.Null()]),
  cancelled_at: Type.Union([Time, Type.Null()]),
  expired_at: Type.Union([Time, Type.Null()]),
  refunded_at: Type.Union([Time, Type.Null()]),
});
export type BookingView = Static<typeof BookingView>;

export const BookingPage = PageOf(BookingView);

export const BookingStatusView = Type.Object({
  id: Id,
  reference: Type.String(),
  status: Status,
  expires_at: Type.Union([Time, Type.Null()]),
  seconds_left: Type.Union([Type.Integer(), Type.Null()], { description: 'Of a pending hold; null otherwise' }),
  version: Type.Integer(),
});

export const AuditEntryView = Type.Object({
  id: Type.Integer(),
  action: Type.String(),
  actor_id: Type.Union([Id, Type.Null()]),
  actor_role: Type.String(),
  before: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  after: Type.Record(Type.String(), Type.Unknown()),
  reason: Type.Union([Type.String(), Type.Null()]),
  at: Time,
});

export const Availability = Type.Object({
  event_id: Id,
  total: Type.Integer(),
  available: Type.Integer({ description: 'Seats anyone can hold now: none while people wait in line (seats given back go to the line first)' }),
  held: Type.Integer({ description: 'Seats of live holds and waitlist offers' }),
  confirmed: Type.Integer(),
  waiting: Type.Integer({ description: 'Entries waiting in the event\'s line' }),
  sold_out: Type.Boolean(),
  version: Type.Integer({ description: 'The ledger version: grows with every change' }),
});

export const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'The last ledger version the client saw: only newer ones are sent' })),
});

export const CheckQuery = StrictObject({ quantity: Type.Integer({ minimum: 1, maximum: 1000, default: 1 }) });
export const CheckView = Type.Object({
  event_id: Id,
  quantity: Type.Integer(),
  bookable: Type.Boolean({ description: 'The event is on sale and has that many seats now (a hold is still needed to get them)' }),
  available: Type.Integer(),
});

export const AdminBookingQuery = StrictObject({
  ...BookingQuery.properties,
  user_id: Type.Optional(Id),
  reference: Type.Optional(Type.String({ pattern: '^[Bb][Kk]-[0-9]{8}-[0-9A-Za-z]{8}$' })),
});
export type AdminBookingQuery = Static<typeof AdminBookingQuery>;

export const StatsQuery = StrictObject({ event_id: Type.Optional(Id) });
export const BookingStats = Type.Object({
  event_id: Type.Union([Id, Type.Null()]),
  by_status: Type.Record(Type.String(), Type.Object({ bookings: Type.Integer(), seats: Type.Integer() })),
  revenue: Type.Record(Type.String(), Money, { description: 'Confirmed bookings per currency (refunded ones are not counted)' }),
});

export const AuditQuery = StrictObject({
  booking_id: Type.Optional(Id),
  event_id: Type.Optional(Id),
  actor_id: Type.Optional(Id),
  action: Type.Optional(Type.Enum(['held', 'confirmed', 'cancelled', 'expired', 'refunded'])),
  from: Type.Optional(Time),
  to: Type.Optional(Time),
  ...Paging,
});
export type AuditQuery = Static<typeof AuditQuery>;

/** The admin's view of the log: a booking's trail entry, with where it came from. */
export const AuditPage = PageOf(Type.Object({
  ...AuditEntryView.properties,
  booking_id: Id,
  event_id: Id,
  request_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
}));

export const ExpireResult = Type.Object({
  expired: Type.Integer({ description: 'Holds released by this sweep' }),
  offers_expired: Type.Integer({ description: 'Waitlist entries expired by this sweep (offers run out, lines of events no longer on sale)' }),
  refunds_sent: Type.Integer({ description: 'Refunds still due that the payment provider took in this sweep' }),
});
