import { createHash } from 'node:crypto';
import { newId } from '../../kernel/index.js';
import type { Actor } from './actor.js';
import { bookingsError } from './bookings.errors.js';
import type { BookingsDeps } from './bookings.deps.js';
import { overBookingCap, soldOut, type HoldResult } from './hold.js';

export interface NewBooking {
  event_id: string;
  quantity: number;
  notes?: string;
}

const notBookable = (why: string) => bookingsError('EVENT_NOT_BOOKABLE', why);

/** The request as the Idempotency-Key remembers it: same key, same body → the same booking. */
const fingerprint = (b: NewBooking) => createHash('sha256').update(JSON.stringify([b.event_id, b.quantity, b.notes ?? null])).digest('base64url');

/**
 * A hold on `quantity` seats until `expires_at`: checked against the event, then written by the
 * configured strategy (deps.holds). A sold-out event is refused after a read (or none, within
 * GLANCE_MS of one), with nothing written; a request with an Idempotency-Key goes on, as it may be
 * the retry of one that got its seats.
 */
export async function createBooking(deps: BookingsDeps, actor: Actor, input: NewBooking, idempotencyKey?: string): Promise<HoldResult> {
  const eventId = input.event_id.toLowerCase();
  const { event, available } = await deps.glance.read(eventId);
  if (!event || event.status === 'deleted' || event.status === 'draft' || available === undefined) throw notBookable('no such event on sale');
  if (event.status !== 'published') throw notBookable(`the event is ${event.status}`);
  if (event.starts_at <= new Date()) throw notBookable('the event has started');
  if (input.quantity > event.max_per_booking) throw overBookingCap(event.max_per_booking);
  if (input.quantity > event.max_per_user) throw bookingsError('LIMIT_EXCEEDED', `at most ${event.max_per_user} seat(s) per user for this event`);
  if (available < input.quantity && !idempotencyKey) throw soldOut(available);
  const result = await deps.holds.hold({
    id: newId(),
    actor,
    event_id: eventId,
    quantity: input.quantity,
    notes: input.notes ?? null,
    key: idempotencyKey ? { key: idempotencyKey, hash: fingerprint(input) } : undefined,
    price: event.price,
    currency: event.currency,
    maxPerUser: event.max_per_user,
  }).catch((err: unknown) => {
    const left = (err as { details?: { available?: number }[] }).details?.[0]?.available;
    if (typeof left === 'number') deps.glance.saw(eventId, left);
    throw err;
  });
  return result;
}
