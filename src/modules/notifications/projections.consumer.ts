import { BOOKINGS_EVENTS, type BookingsPayload } from '../../contracts/bookings.js';
import { contractViolation, payloadIf, payloadOfAny } from '../../contracts/contract.js';
import { EVENTS_EVENTS, type EventsPayload } from '../../contracts/events.js';
import type { Consumer, DomainEvent, Logger } from '../../kernel/index.js';
import { applyAttendee, applyEvent, markEventDeleted } from './catalogue.repository.js';

const EVENT_STATES = ['events.event.created', 'events.event.updated', 'events.event.published', 'events.event.cancelled', 'events.event.completed'] as const;
export const BOOKING_TYPES = ['bookings.booking.held', 'bookings.booking.confirmed', 'bookings.booking.cancelled', 'bookings.booking.expired', 'bookings.booking.refunded'] as const;

function ignored(logger: Logger, event: DomainEvent, contracts: typeof BOOKINGS_EVENTS | typeof EVENTS_EVENTS): void {
  logger.error({ event_id: event.id, type: event.type, why: contractViolation(contracts, event) }, 'event does not meet its contract: ignored');
}

/** The catalogue as mails show it (title, venue, time and zone), newer version wins. */
export function catalogueConsumer(logger: Logger): Consumer {
  return {
    name: 'notifications.catalogue',
    topics: ['events.event.*'],
    async handle(event, trx) {
      const deleted = payloadIf(EVENTS_EVENTS, event, 'events.event.deleted');
      if (deleted) return markEventDeleted(trx, deleted.event_id, deleted.entity_version);
      const e = payloadOfAny(EVENTS_EVENTS, EVENT_STATES, event) as EventsPayload<'events.event.created'> | undefined;
      if (!e) return ignored(logger, event, EVENTS_EVENTS);
      await applyEvent(trx, { event_id: e.event_id, title: e.title, venue: e.venue, starts_at: e.starts_at, ends_at: e.ends_at, timezone: e.timezone, status: e.status, version: e.entity_version });
    },
  };
}

/** Who holds seats for which event (told of a change of time or place), newer version wins. */
export function attendeesConsumer(logger: Logger): Consumer {
  return {
    name: 'notifications.attendees',
    topics: [...BOOKING_TYPES],
    async handle(event, trx) {
      const b = payloadOfAny(BOOKINGS_EVENTS, BOOKING_TYPES, event) as BookingsPayload<'bookings.booking.held'> | undefined;
      if (!b) return ignored(logger, event, BOOKINGS_EVENTS);
      await applyAttendee(trx, { booking_id: b.booking_id, event_id: b.event_id, user_id: b.user_id, status: b.status, version: b.entity_version });
    },
  };
}
