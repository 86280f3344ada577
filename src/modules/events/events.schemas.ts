import { Type, type Static } from 'typebox';
import { PageOf, StrictObject } from '../../kernel/index.js';
import { SORTS } from './event-list.repository.js';
import { EVENT_STATUSES } from './event.repository.js';

const Time = Type.String({ format: 'date-time' });
const Id = Type.String({ format: 'uuid' });
/** Money in, as a JSON number or a decimal string; out, always a string with two decimals. */
const PRICE = '^[0-9]{1,8}(\\.[0-9]{1,2})?$';
const PriceIn = Type.Union([
  Type.Number({ minimum: 0, maximum: 99_999_999.99 }),
  Type.String({ pattern: PRICE }),
], { description: 'At least 0, at most two decimals: 25, 25.5, "25.50"' });
const Status = Type.Enum([...EVENT_STATUSES]);

// Shapes are checked here; what needs normalising first (trim, case, zones, currencies, the order of
// the two times) is checked by the service, and its errors name the field too.
const Fields = {
  title: Type.String({ minLength: 1, maxLength: 255 }),
  description: Type.String({ maxLength: 20_000 }),
  venue: Type.String({ minLength: 1, maxLength: 255 }),
  category: Type.String({ minLength: 1, maxLength: 50, description: 'A slug: a-z, 0-9 and - (lower-cased)' }),
  starts_at: Time,
  ends_at: Type.Union([Time, Type.Null()]),
  timezone: Type.String({ minLength: 1, maxLength: 64, description: "IANA name of the venue's time zone, e.g. Europe/Paris" }),
  capacity: Type.Integer({ minimum: 1, maximum: 10_000_000 }),
  price: PriceIn,
  currency: Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217 code (default USD)' }),
  max_per_booking: Type.Integer({ minimum: 1, maximum: 1000, description: 'Seats one booking may take (default 10)' }),
  max_per_user: Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()], { description: "A user's active seats for the event in all (default, or null: max_per_booking)" }),
};

/** Create, and PUT (a full replacement: what is left out goes back to its default). */
export const EventBody = StrictObject({
  title: Fields.title,
  description: Type.Optional(Fields.description),
  venue: Fields.venue,
  category: Fields.category,
  starts_at: Fields.starts_at,
  ends_at: Type.Optional(Fields.ends_at),
  timezone: Type.Optional(Fields.timezone),
  capacity: Fields.capacity,
  price: Fields.price,
  currency: Type.Optional(Fields.currency),
  max_per_booking: Type.Optional(Fields.max_per_booking),
  max_per_user: Type.Optional(Fields.max_per_user),
});
export type EventBody = Static<typeof EventBody>;

export const EventPatch = StrictObject({
  title: Type.Optional(Fields.title),
  description: Type.Optional(Fields.description),
  venue: Type.Optional(Fields.venue),
  category: Type.Optional(Fields.category),
  starts_at: Type.Optional(Fields.starts_at),
  ends_at: Type.Optional(Fields.ends_at),
  timezone: Type.Optional(Fields.timezone),
  capacity: Type.Optional(Fields.capacity),
  price: Type.Optional(Fields.price),
  currency: Type.Optional(Fields.currency),
  max_per_booking: Type.Optional(Fields.max_per_booking),
  max_per_user: Type.Optional(Fields.max_per_user),
}, { minProperties: 1 });
export type EventPatch = Static<typeof EventPatch>;

export const CancelBody = StrictObject({ reason: Type.String({ minLength: 1, maxLength: 500, description: 'Told to the attendees' }) });
export type CancelBody = Static<typeof CancelBody>;

export const EventParams = StrictObject({ id: Id });
export type EventParams = Static<typeof EventParams>;

/** Query strings are text: numbers and booleans are read from it (the only place types are coerced). */
const ListFilters = {
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  venue: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000]+$', description: 'Part of the venue, any case' })),
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000]+$', description: 'Full-text search over title, venue and description (words, "a phrase", -word, or)' })),
  from: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}', description: 'Starts at or after: a date-time, or a date (its start, UTC)' })),
  to: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}', description: 'Starts before: a date-time, or a date (that whole day included, UTC)' })),
  price_min: Type.Optional(Type.String({ pattern: PRICE })),
  price_max: Type.Optional(Type.String({ pattern: PRICE })),
  has_seats: Type.Optional(Type.Boolean({ description: 'Only events with seats left' })),
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
};

export const ListQuery = StrictObject({
  ...ListFilters,
  upcoming: Type.Optional(Type.Boolean({ description: 'Only events that have not started' })),
  status: Type.Optional(Type.Array(Status, { description: 'Admins only (default: every status); others see published events', maxItems: 4 })),
  sort: Type.Optional(Type.Enum([...SORTS], { description: 'Default: relevance with q, else starts_at. A leading - sorts descending; ties are broken by id' })),
});
export type ListQuery = Static<typeof ListQuery>;

export const UpcomingQuery = StrictObject(ListFilters);
export type UpcomingQuery = Static<typeof UpcomingQuery>;

export const EventView = Type.Object({
  id: Id,
  title: Type.String(),
  description: Type.String(),
  venue: Type.String(),
  category: Type.String(),
  starts_at: Time,
  ends_at: Type.Union([Time, Type.Null()]),
  timezone: Type.String(),
  local_starts_at: Type.String({ description: "starts_at on the venue's clock, with its offset" }),
  local_ends_at: Type.Union([Type.String(), Type.Null()]),
  capacity: Type.Integer(),
  available: Type.Integer({ description: 'Seats neither sold nor held, as the bookings ledger last reported' }),
  price: Type.String({ description: 'Two decimals, e.g. "25.00"' }),
  currency: Type.String(),
  max_per_booking: Type.Integer(),
  max_per_user: Type.Integer(),
  status: Status,
  is_upcoming: Type.Boolean(),
  cancel_reason: Type.Union([Type.String(), Type.Null()]),
  version: Type.Integer(),
  created_at: Time,
  updated_at: Time,
  published_at: Type.Union([Time, Type.Null()]),
  cancelled_at: Type.Union([Time, Type.Null()]),
  completed_at: Type.Union([Time, Type.Null()]),
  created_by: Type.Optional(Type.String({ description: 'Admins only' })),
});
export type EventView = Static<typeof EventView>;

export const EventPage = PageOf(EventView);
export type EventPage = Static<typeof EventPage>;

export const Capacity = Type.Object({
  event_id: Id,
  status: Status,
  capacity: Type.Integer(),
  available: Type.Integer(),
  sold_out: Type.Boolean(),
  max_per_booking: Type.Integer(),
  max_per_user: Type.Integer(),
});
export type Capacity = Static<typeof Capacity>;
