import { Type, type Static } from 'typebox';
import { PageOf, StrictObject } from '../../kernel/index.js';
import { Id, Paging, Time } from './bookings.schemas.js';

export const ENTRY_STATUSES = ['waiting', 'offered', 'converted', 'cancelled', 'expired'] as const;
const Status = Type.Enum([...ENTRY_STATUSES]);

export const JoinWaitlistBody = StrictObject({
  event_id: Id,
  quantity: Type.Integer({ minimum: 1, maximum: 1000, default: 1, description: "Seats wanted, 1 to the event's max_per_booking" }),
});
export type JoinWaitlistBody = Static<typeof JoinWaitlistBody>;

export const EntryParams = StrictObject({ id: Id });
export const EventParams = StrictObject({ event_id: Id });

export const WaitlistQuery = StrictObject({
  status: Type.Optional(Status),
  event_id: Type.Optional(Id),
  ...Paging,
});
export type WaitlistQuery = Static<typeof WaitlistQuery>;

export const AdminWaitlistQuery = StrictObject({
  ...WaitlistQuery.properties,
  user_id: Type.Optional(Id),
});
export type AdminWaitlistQuery = Static<typeof AdminWaitlistQuery>;

export const PriorityBody = StrictObject({ priority: Type.Integer({ minimum: -1000, maximum: 1000, description: 'Higher goes first; entries of equal priority keep their join order' }) });

export const CancelEntryBody = Type.Union([StrictObject({ reason: Type.Optional(Type.String({ maxLength: 500, pattern: '^[^\\u0000]*$' })) }), Type.Null()]);
export type CancelEntryBody = Static<typeof CancelEntryBody>;

export const EntryView = Type.Object({
  id: Id,
  event_id: Id,
  user_id: Id,
  quantity: Type.Integer(),
  priority: Type.Integer(),
  status: Status,
  position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Place in the line (1 is next) while waiting; null otherwise' }),
  joined_at: Time,
  offered_at: Type.Union([Time, Type.Null()]),
  offer_expires_at: Type.Union([Time, Type.Null()], { description: 'Until when an offer holds its seats; null unless offered' }),
  seconds_left: Type.Union([Type.Integer(), Type.Null()], { description: 'Of a live offer; null otherwise' }),
  booking_id: Type.Union([Id, Type.Null()], { description: 'The booking an accepted offer became' }),
  reason: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  updated_at: Time,
});
export type EntryView = Static<typeof EntryView>;

export const EntryPage = PageOf(EntryView);

export const PositionView = Type.Object({
  id: Id,
  status: Status,
  position: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'Place in the line (1 is next) while waiting' }),
  waiting: Type.Integer({ description: 'Entries waiting in the line now' }),
  offer_expires_at: Type.Union([Time, Type.Null()]),
  seconds_left: Type.Union([Type.Integer(), Type.Null()]),
});

export const WaitlistCheck = Type.Object({
  event_id: Id,
  waitlist_open: Type.Boolean({ description: 'The event sells and has not the seats to sell now: joining is possible' }),
  waiting: Type.Integer({ description: 'Entries waiting in the line now' }),
  entry: Type.Union([EntryView, Type.Null()], { description: 'Your live entry for the event (waiting or offered), if any' }),
});
