import { BOOKINGS_EVENTS, type BookingsPayload } from '../../contracts/bookings.js';
import { payloadIf, payloadOfAny } from '../../contracts/contract.js';
import { EVENTS_EVENTS } from '../../contracts/events.js';
import type { DomainEvent, Executor } from '../../kernel/index.js';
import { insertForLiveAttendees } from './catalogue.repository.js';
import type { MailKey } from './mail-log.repository.js';
import type { MailRequest } from './mail.request.js';
import { BOOKING_TYPES } from './projections.consumer.js';

const WAITLIST_TYPES = ['bookings.waitlist.joined', 'bookings.waitlist.offered', 'bookings.waitlist.cancelled', 'bookings.waitlist.expired', 'bookings.waitlist.converted'] as const;

type Booking = BookingsPayload<'bookings.booking.held'>;
type Entry = BookingsPayload<'bookings.waitlist.joined'>;

const BOOKING_MAIL = {
  'bookings.booking.held': 'booking_held',
  'bookings.booking.confirmed': 'booking_confirmed',
  'bookings.booking.cancelled': 'booking_cancelled',
  'bookings.booking.refunded': 'booking_refunded',
  'bookings.booking.expired': 'hold_expired',
} as const;

const WAITLIST_MAIL = {
  'bookings.waitlist.joined': 'waitlist_joined',
  'bookings.waitlist.offered': 'waitlist_offer',
  'bookings.waitlist.cancelled': 'waitlist_cancelled',
  'bookings.waitlist.expired': 'waitlist_expired',
  // Accepting an offer makes a hold, whose own mail follows.
  'bookings.waitlist.converted': undefined,
} as const;

/**
 * The event's cancellation cascades into a message per booking and per waitlist entry; each
 * attendee gets one mail about it. Its key is the cancelled event's id (not a message's), so the
 * messages of one person's bookings and entries all name the same mail.
 */
function eventCancelled(p: { user_id: string; event_id: string; reason: string | null }): MailRequest {
  return { user_id: p.user_id, template: 'event_cancelled', to_email: null, key_event_id: p.event_id, data: { event_id: p.event_id, reason: p.reason } };
}

/**
 * The mails a booking, waitlist or catalogue message asks for (undefined: not one of those). The
 * recipient's address and the event's details are read when the mail is sent.
 */
export function bookingMails(event: DomainEvent): MailRequest[] | undefined {
  const b = payloadOfAny(BOOKINGS_EVENTS, BOOKING_TYPES, event) as Booking | undefined;
  if (b) {
    if (b.cause === 'event_cancelled') return [eventCancelled(b)];
    const data = { event_id: b.event_id, booking_id: b.booking_id, reference: b.reference, quantity: b.quantity, amount: b.amount, currency: b.currency, pay_before: b.expires_at, reason: b.reason };
    return [{ user_id: b.user_id, template: BOOKING_MAIL[event.type as keyof typeof BOOKING_MAIL], to_email: null, data }];
  }
  const w = payloadOfAny(BOOKINGS_EVENTS, WAITLIST_TYPES, event) as Entry | undefined;
  if (w) {
    if (w.cause === 'event_cancelled') return [eventCancelled(w)];
    const template = WAITLIST_MAIL[event.type as keyof typeof WAITLIST_MAIL];
    if (!template) return [];
    const data = { event_id: w.event_id, entry_id: w.entry_id, quantity: w.quantity, position: w.position, offer_expires_at: w.offer_expires_at, reason: w.reason };
    return [{ user_id: w.user_id, template, to_email: null, data }];
  }
  return undefined;
}

/**
 * A change of an event's time or place: one mail row per user holding or owning seats now (the
 * projection is kept by the consumer before the mail consumer), written by one statement; their
 * jobs are enqueued after the commit (the sweep enqueues any that a crash left). No lock per mail:
 * an event with 10,000 attendees is one short transaction, not 10,000 advisory locks in one.
 * Returns the keys of the rows made (none: not such a change).
 */
export async function eventChangedMails(event: DomainEvent, trx: Executor): Promise<MailKey[]> {
  const updated = payloadIf(EVENTS_EVENTS, event, 'events.event.updated');
  if (!updated || (!updated.schedule_changed && !updated.venue_changed)) return [];
  const data = { event_id: updated.event_id, schedule_changed: updated.schedule_changed, venue_changed: updated.venue_changed };
  const users = await insertForLiveAttendees(trx, { message_id: event.id, event_id: updated.event_id, template: 'event_changed', data });
  return users.map((user_id) => ({ event_id: event.id, user_id, template: 'event_changed' }));
}
