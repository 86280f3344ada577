import { Type } from 'typebox';
import { EntityVersion, Time, Uuid } from './common.js';
import type { EventContract, PayloadOf } from './contract.js';

/**
 * The events the events module publishes (the catalogue). Producer: events; consumers: bookings (its
 * projection of prices, capacities and states), notifications (attendees told of a cancellation or a
 * change of time or venue), analytics.
 */
const Status = Type.Enum(['draft', 'published', 'completed', 'cancelled']);

/** An event of the catalogue as it is after the change the message reports. */
const EventState = {
  event_id: Uuid,
  title: Type.String({ minLength: 1, maxLength: 255 }),
  venue: Type.String({ minLength: 1, maxLength: 255 }),
  category: Type.String({ minLength: 1, maxLength: 50 }),
  starts_at: Time,
  ends_at: Type.Union([Time, Type.Null()]),
  timezone: Type.String({ minLength: 1, maxLength: 64 }),
  capacity: Type.Integer({ minimum: 1 }),
  /** Decimal string with two decimals ("25.00"): money is never a float. */
  price: Type.String({ pattern: '^[0-9]+\\.[0-9]{2}$' }),
  currency: Type.String({ pattern: '^[A-Z]{3}$' }),
  max_per_booking: Type.Integer({ minimum: 1 }),
  /** A user's active seats for the event, in all. */
  max_per_user: Type.Integer({ minimum: 1 }),
  status: Status,
  entity_version: EntityVersion,
};

export const EVENT_FIELDS = ['title', 'description', 'venue', 'category', 'starts_at', 'ends_at', 'timezone', 'capacity', 'price', 'currency', 'max_per_booking', 'max_per_user'] as const;
const EventField = Type.Enum([...EVENT_FIELDS]);

const contract = <S extends ReturnType<typeof Type.Object>>(payload: S): EventContract<S> => ({ version: 1, payload });

export const EVENTS_EVENTS = {
  'events.event.created': contract(Type.Object(EventState)),
  /**
   * `changed`: the fields the change touched. `schedule_changed` / `venue_changed`: the time or the
   * place moved, which attendees must be told of.
   */
  'events.event.updated': contract(Type.Object({
    ...EventState,
    changed: Type.Array(EventField, { minItems: 1 }),
    schedule_changed: Type.Boolean(),
    venue_changed: Type.Boolean(),
  })),
  'events.event.published': contract(Type.Object(EventState)),
  'events.event.cancelled': contract(Type.Object({ ...EventState, reason: Type.String({ minLength: 1, maxLength: 500 }) })),
  /** The event has ended (marked by a periodic task). */
  'events.event.completed': contract(Type.Object(EventState)),
  /** entity_version: the deleted row's version plus one. */
  'events.event.deleted': contract(Type.Object({ event_id: Uuid, entity_version: EntityVersion })),
} as const;

export type EventsEventType = keyof typeof EVENTS_EVENTS;
export type EventsPayload<T extends EventsEventType> = PayloadOf<(typeof EVENTS_EVENTS)[T]>;
