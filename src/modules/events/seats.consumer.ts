import { BOOKINGS_EVENTS } from '../../contracts/bookings.js';
import { contractViolation, payloadIf } from '../../contracts/contract.js';
import { afterCommit, type Consumer, type Tx } from '../../kernel/index.js';
import { applySeats } from './event.repository.js';
import { invalidateQuietly, type EventsDeps } from './events.deps.js';

/**
 * The seats the bookings ledger reports (`bookings.availability.changed`), kept by ledger version: a
 * late or repeated message never moves them back. Pages showing them go once the change commits
 * (list pages within EVENTS_LIST_SEATS_REFRESH_MS).
 */
export function seatsConsumer(deps: EventsDeps): Consumer {
  return {
    name: 'events.seats',
    topics: ['bookings.availability.changed'],
    async handle(event, trx: Tx) {
      const seats = payloadIf(BOOKINGS_EVENTS, event, 'bookings.availability.changed');
      if (!seats) {
        deps.logger.error({ event_id: event.id, type: event.type, why: contractViolation(BOOKINGS_EVENTS, event) }, 'availability event does not meet its contract: ignored');
        return;
      }
      const { before, after } = await applySeats(trx, { event_id: seats.event_id, taken: seats.held + seats.sold, sold: seats.sold, ledger_version: seats.ledger_version });
      if (before !== after) afterCommit(trx, () => invalidateQuietly(deps, [seats.event_id], 'seats'));
    },
  };
}

/**
 * The safety net of cache invalidation: the process that changed an event drops its pages once it
 * commits, but it may die first; its event always arrives here (at least once), in one process of
 * the group, which drops them again (and a failure here is retried by the bus).
 */
export function ownChangesConsumer(deps: EventsDeps): Consumer {
  return {
    name: 'events.cache',
    topics: ['events.event.*'],
    async handle(event) {
      const id = (event.payload as { event_id?: unknown } | null)?.event_id;
      if (typeof id === 'string') await deps.cache.invalidate([id]);
    },
  };
}
