import { AUTH_EVENTS } from '../../contracts/auth.js';
import { BOOKINGS_EVENTS, type BookingsPayload } from '../../contracts/bookings.js';
import { contractViolation, payloadIf, payloadOfAny, type Contracts } from '../../contracts/contract.js';
import { EVENTS_EVENTS, type EventsPayload } from '../../contracts/events.js';
import type { Consumer, DomainEvent, Logger, Tx } from '../../kernel/index.js';
import { bookingContribution, difference, toMinor, userContribution, waitlistContribution, type Contribution } from './contribution.js';
import { addParts, logEvent, mergeCopy, setCapacity, setCurrency } from './projection.repository.js';

const BOOKING_TYPES = ['bookings.booking.held', 'bookings.booking.confirmed', 'bookings.booking.cancelled', 'bookings.booking.expired', 'bookings.booking.refunded'] as const;
const WAITLIST_TYPES = ['bookings.waitlist.joined', 'bookings.waitlist.offered', 'bookings.waitlist.converted', 'bookings.waitlist.cancelled', 'bookings.waitlist.expired'] as const;
const EVENT_TYPES = ['events.event.created', 'events.event.updated', 'events.event.published', 'events.event.cancelled', 'events.event.completed'] as const;
const USER_TYPES = ['auth.user.registered', 'auth.user.updated', 'auth.user.verified'] as const;

export const ANALYTICS_TOPICS = [...BOOKING_TYPES, ...WAITLIST_TYPES, ...EVENT_TYPES, 'events.event.deleted', ...USER_TYPES, 'auth.user.deleted'];

type Booking = BookingsPayload<'bookings.booking.held'>;
type Entry = BookingsPayload<'bookings.waitlist.joined'>;
type EventState = EventsPayload<'events.event.created'>;

interface BookingRow extends Record<string, unknown> {
  booking_id: string; event_id: string; user_id: string; quantity: number; amount_minor: number; currency: string;
  status: Booking['status']; version: number; held_at: Date | null; confirmed_at: Date | null; ended_at: Date | null;
}
interface EntryRow extends Record<string, unknown> {
  entry_id: string; event_id: string; user_id: string; quantity: number; status: Entry['status']; version: number;
  joined_at: Date | null; offered_at: Date | null; ended_at: Date | null;
}

/**
 * Keeps analytics' copies of bookings, waitlist entries, events and users, and moves the read
 * models by the difference each message makes (never a recount). Versions decide the state, each
 * step's own message its time: duplicates and any delivery order give the same totals.
 */
export function projectionConsumer(logger: Logger): Consumer {
  return {
    name: 'analytics.projection',
    topics: ANALYTICS_TOPICS,
    async handle(event, trx) {
      const applied = await applyBooking(trx, event) ?? await applyEntry(trx, event) ?? await applyEvent(trx, event) ?? await applyUser(trx, event);
      if (applied === undefined) {
        const contracts: Contracts = { ...BOOKINGS_EVENTS, ...EVENTS_EVENTS, ...AUTH_EVENTS };
        logger.error({ event_id: event.id, type: event.type, why: contractViolation(contracts, event) }, 'event does not meet its contract: not counted');
        return;
      }
      await logEvent(trx, { event_id: event.id, type: event.type, entity_id: applied, occurred_at: event.occurredAt, correlation_id: event.correlationId });
    },
  };
}

/** Sets the time of the step a message reports, unless an earlier copy of that message set it. */
const stamped = <R extends Record<string, unknown>>(row: R, column: keyof R & string, at: Date): R => (row[column] ? row : { ...row, [column]: at });

async function move(trx: Tx, change: { before?: Contribution; after: Contribution } | undefined): Promise<void> {
  if (change) await addParts(trx, difference(change.before ?? [], change.after));
}

async function applyBooking(trx: Tx, event: DomainEvent): Promise<string | undefined> {
  const p = payloadOfAny(BOOKINGS_EVENTS, BOOKING_TYPES, event) as Booking | undefined;
  if (!p) return undefined;
  const at = new Date(event.occurredAt);
  const column = event.type === 'bookings.booking.held' ? 'held_at' : event.type === 'bookings.booking.confirmed' ? 'confirmed_at' : 'ended_at';
  const change = await mergeCopy<BookingRow>(trx, 'bookings', 'booking_id', p.booking_id, (old) => {
    const state = old && old.version >= p.entity_version ? old : {
      booking_id: p.booking_id, event_id: p.event_id, user_id: p.user_id, quantity: p.quantity, amount_minor: toMinor(p.amount),
      currency: p.currency, status: p.status, version: p.entity_version,
      held_at: old?.held_at ?? null, confirmed_at: old?.confirmed_at ?? null, ended_at: old?.ended_at ?? null,
    };
    return stamped(state, column, at);
  });
  if (change) {
    const contribution = (r: BookingRow) => bookingContribution({ ...r, amount_minor: Number(r.amount_minor) });
    await move(trx, { before: change.before && contribution(change.before), after: contribution(change.after) });
    if (!change.before) await setCurrency(trx, p.event_id, p.currency);
  }
  return p.booking_id;
}

async function applyEntry(trx: Tx, event: DomainEvent): Promise<string | undefined> {
  const p = payloadOfAny(BOOKINGS_EVENTS, WAITLIST_TYPES, event) as Entry | undefined;
  if (!p) return undefined;
  const at = new Date(event.occurredAt);
  const column = event.type === 'bookings.waitlist.joined' ? 'joined_at' : event.type === 'bookings.waitlist.offered' ? 'offered_at' : 'ended_at';
  const change = await mergeCopy<EntryRow>(trx, 'waitlist', 'entry_id', p.entry_id, (old) => {
    const state = old && old.version >= p.entity_version ? old : {
      entry_id: p.entry_id, event_id: p.event_id, user_id: p.user_id, quantity: p.quantity, status: p.status, version: p.entity_version,
      joined_at: old?.joined_at ?? null, offered_at: old?.offered_at ?? null, ended_at: old?.ended_at ?? null,
    };
    return stamped(state, column, at);
  });
  if (change) await move(trx, { before: change.before && waitlistContribution(change.before), after: waitlistContribution(change.after) });
  return p.entry_id;
}

async function applyEvent(trx: Tx, event: DomainEvent): Promise<string | undefined> {
  const deleted = payloadIf(EVENTS_EVENTS, event, 'events.event.deleted');
  const state = deleted ? undefined : payloadOfAny(EVENTS_EVENTS, EVENT_TYPES, event) as EventState | undefined;
  const p = deleted ?? state;
  if (!p) return undefined;
  const change = await mergeCopy(trx, 'events', 'event_id', p.event_id, (old) => {
    if (old && Number(old.version) >= p.entity_version) return undefined;
    if (!state) return { ...(old ?? { event_id: p.event_id }), status: 'deleted', version: p.entity_version };
    return {
      event_id: state.event_id, title: state.title, category: state.category, venue: state.venue, starts_at: new Date(state.starts_at), timezone: state.timezone,
      capacity: state.capacity, price: state.price, currency: state.currency, status: state.status, version: state.entity_version,
    };
  });
  if (change && state) await setCapacity(trx, state.event_id, state.capacity);
  return p.event_id;
}

interface UserState { user_id: string; role: string; is_verified: boolean; is_active: boolean; entity_version: number }

async function applyUser(trx: Tx, event: DomainEvent): Promise<string | undefined> {
  const deleted = payloadIf(AUTH_EVENTS, event, 'auth.user.deleted');
  const state = deleted ? undefined : payloadOfAny(AUTH_EVENTS, USER_TYPES, event) as UserState | undefined;
  const p = deleted ?? state;
  if (!p) return undefined;
  const registeredAt = event.type === 'auth.user.registered' ? new Date(event.occurredAt) : null;
  const change = await mergeCopy<Record<string, unknown>>(trx, 'users', 'user_id', p.user_id, (old) => {
    const base = old ?? { user_id: p.user_id, role: null, is_verified: false, is_active: true, deleted: false, version: 0, registered_at: null };
    const next = Number(base.version) >= p.entity_version ? base
      : state ? { ...base, role: state.role, is_verified: state.is_verified, is_active: state.is_active, version: state.entity_version }
      : { ...base, deleted: true, version: p.entity_version };
    return registeredAt && !next.registered_at ? { ...next, registered_at: registeredAt } : next;
  });
  if (change) {
    const contribution = (r: Record<string, unknown>) => userContribution({ registered_at: (r.registered_at as Date | null) ?? null });
    await move(trx, { before: change.before && contribution(change.before), after: contribution(change.after) });
  }
  return p.user_id;
}
