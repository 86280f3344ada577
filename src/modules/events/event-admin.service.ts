import { AppError, afterCommit, newId, type Tx } from '../../kernel/index.js';
import { checkEvent, completeFields, normaliseFields } from './event.input.js';
import { deleteEvent, insertEvent, lockEvent, updateEvent, type EventChange, type EventFields, type EventRecord, type EventStatus } from './event.repository.js';
import { eventsError } from './events.errors.js';
import { eventMessages } from './events.events.js';
import type { EventBody, EventPatch } from './events.schemas.js';
import { invalidateQuietly, type EventsDeps } from './events.deps.js';

const FIELDS: readonly (keyof EventFields)[] = ['title', 'description', 'venue', 'category', 'starts_at', 'ends_at', 'timezone', 'capacity', 'price', 'currency', 'max_per_booking', 'max_per_user'];
const FINAL: ReadonlySet<EventStatus> = new Set(['completed', 'cancelled']);

const conflict = (message: string) => eventsError('EVENT_STATE_CONFLICT', message);
const notFound = () => new AppError('NOT_FOUND', 'no such event');

/** Creates a draft: nobody but admins sees it until it is published. */
export async function createEvent(deps: EventsDeps, actorId: string, body: EventBody): Promise<EventRecord> {
  const fields = completeFields(body);
  checkEvent(fields, false);
  return deps.transaction(async (trx) => {
    const event = await insertEvent(trx, { ...fields, id: newId(), created_by: actorId });
    await deps.outbox.add(trx, eventMessages.created(event));
    return event;
  });
}

/**
 * A change of an event: under its row lock, `decide` sees the event as it is and returns the change
 * (or nothing to do), which commits with its message; the cached pages go once it has committed.
 */
async function change(deps: EventsDeps, id: string, decide: (e: EventRecord) => { change: EventChange; message: (after: EventRecord) => Parameters<EventsDeps['outbox']['add']>[1] } | undefined): Promise<EventRecord> {
  return deps.transaction(async (trx: Tx) => {
    const before = await lockEvent(trx, id);
    if (!before) throw notFound();
    const decided = decide(before);
    if (!decided) return before;
    const after = await updateEvent(trx, id, decided.change);
    await deps.outbox.add(trx, decided.message(after));
    // The row's id, not the caller's text: a UUID may be given in upper case, pages are keyed in lower.
    afterCommit(trx, () => invalidateQuietly(deps, [before.id]));
    return after;
  });
}

const same = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);

/**
 * Edits an event (PUT: `replace` with a whole body, PATCH: the fields given). Final events are not
 * edited; capacity never drops below the seats held or sold (as far as this module knows: bookings
 * has the last word); a published event cannot be moved into the past.
 */
export function editEvent(deps: EventsDeps, id: string, edit: { replace: EventBody } | { patch: EventPatch }): Promise<EventRecord> {
  const given = 'replace' in edit ? completeFields(edit.replace) : normaliseFields(edit.patch);
  return change(deps, id, (before) => {
    if (FINAL.has(before.status)) throw conflict(`a ${before.status} event cannot be changed`);
    const changed = FIELDS.filter((f) => given[f] !== undefined && !same(given[f], before[f]));
    if (!changed.length) return undefined;
    const next = { ...before, ...given } as EventFields;
    checkEvent(next, before.status === 'published' && changed.includes('starts_at'));
    if (changed.includes('capacity') && next.capacity < before.taken) {
      throw eventsError('CAPACITY_BELOW_BOOKED', `capacity ${next.capacity} is below the ${before.taken} seats sold or held`, { details: [{ field: 'capacity', message: `must be at least ${before.taken}` }] });
    }
    const patch = Object.fromEntries(changed.map((f) => [f, next[f]])) as EventChange;
    return { change: patch, message: (after) => eventMessages.updated(after, changed) };
  });
}

export function publishEvent(deps: EventsDeps, id: string): Promise<EventRecord> {
  return change(deps, id, (e) => {
    if (e.status !== 'draft') throw conflict(`only a draft can be published; this event is ${e.status}`);
    if (e.starts_at <= new Date()) throw conflict('the event has started already: move starts_at into the future first');
    return { change: { status: 'published' }, message: eventMessages.published };
  });
}

/** Cancels a published event; bookings (cancelled, refunded) and attendees (mailed) learn it from the event. */
export function cancelEvent(deps: EventsDeps, id: string, reason: string): Promise<EventRecord> {
  const why = reason.trim();
  if (!why) throw new AppError('VALIDATION_FAILED', 'reason must not be blank', { details: [{ field: 'reason', message: 'must not be blank' }] });
  return change(deps, id, (e) => {
    if (e.status === 'draft') throw conflict('a draft is deleted, not cancelled');
    if (e.status !== 'published') throw conflict(`a ${e.status} event cannot be cancelled`);
    return { change: { status: 'cancelled', cancel_reason: why }, message: eventMessages.cancelled };
  });
}

/** Deletes a draft, or an event that never sold a seat and holds none; anything else is cancelled instead. */
export async function removeEvent(deps: EventsDeps, id: string): Promise<void> {
  await deps.transaction(async (trx) => {
    const e = await lockEvent(trx, id);
    if (!e) throw notFound();
    if (e.status !== 'draft' && (e.sold_ever || e.taken > 0)) {
      throw eventsError('EVENT_HAS_BOOKINGS', 'this event has sold or holds seats: cancel it instead');
    }
    const last = (await deleteEvent(trx, e.id))!;
    await deps.outbox.add(trx, eventMessages.deleted(e.id, last));
    afterCommit(trx, () => invalidateQuietly(deps, [e.id]));
  });
}
