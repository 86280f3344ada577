import { contractViolation, payloadIf, payloadOfAny } from '../../contracts/contract.js';
import { EVENTS_EVENTS, type EventsEventType, type EventsPayload } from '../../contracts/events.js';
import type { Consumer, DomainEvent, Tx } from '../../kernel/index.js';
import type { BookingsDeps } from './bookings.deps.js';
import { cancelEventBookings } from './cancellation.js';
import { resizeLedger } from './ledger.repository.js';
import { settle } from './line.js';

type EventState = EventsPayload<'events.event.created'>;
const STATEFUL: EventsEventType[] = ['events.event.created', 'events.event.updated', 'events.event.published', 'events.event.cancelled', 'events.event.completed'];

function stateOf(event: DomainEvent): EventState | { event_id: string; entity_version: number; deleted: true } | undefined {
  const payload = payloadOfAny(EVENTS_EVENTS, STATEFUL, event) as EventState | undefined;
  if (payload) return payload;
  const deleted = payloadIf(EVENTS_EVENTS, event, 'events.event.deleted');
  return deleted && { ...deleted, deleted: true };
}

/**
 * The catalogue as bookings needs it (status, start, price, limits) and each event's ledger, kept
 * from the events module's messages by entity version: a late, repeated or reordered message never
 * moves anything back, and a re-publish or an edit keeps the seats already taken. A cancellation
 * cancels every booking of the event (refunding confirmed ones).
 */
export function catalogueConsumer(deps: BookingsDeps): Consumer {
  return {
    name: 'bookings.catalogue',
    topics: ['events.event.*'],
    async handle(event, trx: Tx) {
      const state = stateOf(event);
      if (!state) {
        deps.logger.error({ event_id: event.id, type: event.type, why: contractViolation(EVENTS_EVENTS, event) }, 'catalogue event does not meet its contract: ignored');
        return;
      }
      const newer = 'deleted' in state
        ? await trx.updateTable('bookings.events').set({ status: 'deleted', entity_version: state.entity_version }).where('event_id', '=', state.event_id).where('entity_version', '<', state.entity_version).returning('status').executeTakeFirst()
        : await trx
          .insertInto('bookings.events')
          .values(row(state))
          .onConflict((oc) => oc.column('event_id').doUpdateSet(row(state)).where('bookings.events.entity_version', '<', state.entity_version))
          .returning('status')
          .executeTakeFirst();
      if (!newer || 'deleted' in state) return;
      const ledger = await resizeLedger(trx, state.event_id, state.capacity);
      // More seats go to the waitlist first.
      if (ledger) await settle(deps, trx, ledger);
      if (state.status === 'cancelled') await cancelEventBookings(deps, trx, state.event_id, event.type === 'events.event.cancelled' ? (event.payload as { reason: string }).reason : 'the event was cancelled');
    },
  };
}

function row(s: EventState) {
  return {
    event_id: s.event_id,
    title: s.title,
    status: s.status,
    starts_at: new Date(s.starts_at),
    capacity: s.capacity,
    price: s.price,
    currency: s.currency,
    max_per_booking: s.max_per_booking,
    max_per_user: s.max_per_user,
    entity_version: s.entity_version,
  };
}
