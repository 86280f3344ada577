import { EVENTS_EVENTS, type EventsEventType, type EventsPayload } from '../../contracts/events.js';
import type { NewEvent } from '../../kernel/index.js';
import type { EventFields, EventRecord } from './event.repository.js';

function message<T extends EventsEventType>(type: T, payload: EventsPayload<T>): NewEvent<EventsPayload<T>> {
  return { type, version: EVENTS_EVENTS[type].version, payload };
}

type Changed = EventsPayload<'events.event.updated'>['changed'];

/** The event as the row stands after the change (its version included). */
function state(e: EventRecord): EventsPayload<'events.event.created'> {
  return {
    event_id: e.id,
    title: e.title,
    venue: e.venue,
    category: e.category,
    starts_at: e.starts_at.toISOString(),
    ends_at: e.ends_at?.toISOString() ?? null,
    timezone: e.timezone,
    capacity: e.capacity,
    price: e.price,
    currency: e.currency,
    max_per_booking: e.max_per_booking,
    max_per_user: e.max_per_user ?? e.max_per_booking,
    status: e.status,
    entity_version: e.version,
  };
}

/** The facts the events module publishes; their shapes are the contracts in src/contracts/events.ts. */
export const eventMessages = {
  created: (e: EventRecord) => message('events.event.created', state(e)),
  updated: (e: EventRecord, changed: readonly (keyof EventFields)[]) =>
    message('events.event.updated', {
      ...state(e),
      changed: changed as Changed,
      schedule_changed: changed.some((f) => f === 'starts_at' || f === 'ends_at' || f === 'timezone'),
      venue_changed: changed.includes('venue'),
    }),
  published: (e: EventRecord) => message('events.event.published', state(e)),
  cancelled: (e: EventRecord) => message('events.event.cancelled', { ...state(e), reason: e.cancel_reason ?? '' }),
  completed: (e: EventRecord) => message('events.event.completed', state(e)),
  /** `last`: the version the row had; the tombstone is one newer. */
  deleted: (id: string, last: number) => message('events.event.deleted', { event_id: id, entity_version: last + 1 }),
};
