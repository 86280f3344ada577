import ical, { ICalCalendarMethod } from 'ical-generator';
import { getVtimezoneComponent } from '@touch4it/ical-timezones';
import { DateTime } from 'luxon';
import type { EventDetails } from './catalogue.repository.js';
import { escapeHtml, field, greeting, page, TemplateDataError, type RenderedMail, type TemplateInput } from './mail.base.js';

/**
 * The booking, waitlist and event emails. Each is a list of plain-text paragraphs (user values
 * inside them: titles, venues, reasons), each escaped whole for the HTML part. Times are shown in
 * the event's own time zone, with its abbreviation.
 */
export const BOOKING_TEMPLATES = [
  'booking_held', 'booking_confirmed', 'booking_cancelled', 'booking_refunded', 'hold_expired',
  'waitlist_joined', 'waitlist_offer', 'waitlist_cancelled', 'waitlist_expired', 'event_cancelled', 'event_changed',
] as const;
export type BookingTemplate = (typeof BOOKING_TEMPLATES)[number];

function need(input: TemplateInput): EventDetails {
  if (!input.event) throw new TemplateDataError('the event of this mail is not known');
  return input.event;
}

/** "Tuesday, 1 December 2026 at 19:00 GMT" in the event's zone. */
export function localTime(at: Date | string, timezone: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
  }).format(new Date(at));
}

const tickets = (n: string) => `${n} ticket${n === '1' ? '' : 's'}`;
const about = (e: EventDetails) => `${e.title}, ${e.venue}, ${localTime(e.starts_at, e.timezone)}`;
/** Reasons given by a person; the cascade's prefix is implied by the mail itself. */
const reasonLine = (data: Record<string, unknown>) => {
  const r = typeof data.reason === 'string' ? data.reason.replace(/^event cancelled: /, '').trim() : '';
  return r ? [`Reason given: ${r}`] : [];
};

function mail(subject: string, input: TemplateInput, paragraphs: string[], extra: Pick<RenderedMail, 'attachments'> = {}): RenderedMail {
  const hi = greeting(input.name);
  return {
    subject,
    text: `${hi.text}\n\n${paragraphs.join('\n\n')}\n\n— Evently\n`,
    html: page(subject, `${hi.html}${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}`),
    ...extra,
  };
}

/** The booking as a calendar entry, in the event's zone (with its VTIMEZONE, so calendars place it right). */
export function calendarEntry(e: EventDetails, booking: { booking_id: string; reference: string; quantity: string }): string {
  const cal = ical({ prodId: { company: 'Evently', product: 'Evently', language: 'EN' }, method: ICalCalendarMethod.PUBLISH });
  // A zone the VTIMEZONE library does not know (ICU knows newer ones) is written in UTC: a TZID
  // without its definition breaks RFC 5545, and calendars would guess.
  const zone = getVtimezoneComponent(e.timezone) ? e.timezone : 'UTC';
  // No calendar-wide zone (DTSTAMP stays UTC); the generator adds the event's zone definition.
  if (zone !== 'UTC') cal.timezone({ name: null, generator: getVtimezoneComponent });
  const start = DateTime.fromJSDate(new Date(e.starts_at)).setZone(zone);
  const end = e.ends_at ? DateTime.fromJSDate(new Date(e.ends_at)).setZone(zone) : start.plus({ hours: 2 });
  cal.createEvent({
    id: `${booking.booking_id}@evently`,
    start, end, ...(zone === 'UTC' ? {} : { timezone: zone }),
    summary: e.title, location: e.venue,
    description: `Booking ${booking.reference}: ${tickets(booking.quantity)}`,
  });
  return cal.toString();
}

export const BOOKING_RENDERERS: Record<BookingTemplate, (input: TemplateInput) => RenderedMail> = {
  booking_held(input) {
    const e = need(input), d = input.data;
    return mail('Your seats are held: pay to confirm', input, [
      `You hold ${tickets(field(d, 'quantity'))} for ${about(e)}.`,
      `Booking ${field(d, 'reference')}, total ${field(d, 'amount')} ${field(d, 'currency')}.`,
      `Pay before ${localTime(field(d, 'pay_before'), e.timezone)} to confirm it; after that the seats are released.`,
    ]);
  },
  booking_confirmed(input) {
    const e = need(input), d = input.data;
    const booking = { booking_id: field(d, 'booking_id'), reference: field(d, 'reference'), quantity: field(d, 'quantity') };
    return mail('Your booking is confirmed', input, [
      `Your booking ${booking.reference} is confirmed: ${tickets(booking.quantity)} for ${about(e)}.`,
      `Paid: ${field(d, 'amount')} ${field(d, 'currency')}. The calendar entry is attached.`,
    ], { attachments: [{ filename: 'event.ics', contentType: 'text/calendar; charset=utf-8; method=PUBLISH', content: calendarEntry(e, booking) }] });
  },
  booking_cancelled(input) {
    const e = need(input), d = input.data;
    return mail('Your booking is cancelled', input, [
      `Your booking ${field(d, 'reference')} (${tickets(field(d, 'quantity'))} for ${about(e)}) is cancelled and its seats are released. Nothing was charged.`,
      ...reasonLine(d),
    ]);
  },
  booking_refunded(input) {
    const e = need(input), d = input.data;
    return mail('Your booking is cancelled and refunded', input, [
      `Your booking ${field(d, 'reference')} (${tickets(field(d, 'quantity'))} for ${about(e)}) is cancelled.`,
      `${field(d, 'amount')} ${field(d, 'currency')} is refunded to your payment method.`,
      ...reasonLine(d),
    ]);
  },
  hold_expired(input) {
    const e = need(input), d = input.data;
    return mail('Your hold has expired', input, [
      `Your hold ${field(d, 'reference')} (${tickets(field(d, 'quantity'))} for ${about(e)}) was not confirmed in time, so its seats were released. Nothing was charged.`,
      'You can book again while seats are left.',
    ]);
  },
  waitlist_joined(input) {
    const e = need(input), d = input.data;
    return mail('You are on the waitlist', input, [
      `You are number ${field(d, 'position')} in line for ${tickets(field(d, 'quantity'))} for ${about(e)}.`,
      'When seats come free they are offered in line order; we will email you when it is your turn.',
    ]);
  },
  waitlist_offer(input) {
    const e = need(input), d = input.data;
    return mail('Seats are waiting for you', input, [
      `${tickets(field(d, 'quantity'))} for ${about(e)} are held for you.`,
      `Accept the offer before ${localTime(field(d, 'offer_expires_at'), e.timezone)}; after that they go to the next person in line.`,
    ]);
  },
  waitlist_cancelled(input) {
    const e = need(input), d = input.data;
    return mail('You have left the waitlist', input, [`Your place in line for ${about(e)} is cancelled.`, ...reasonLine(d)]);
  },
  waitlist_expired(input) {
    const e = need(input);
    return mail('Your waitlist place has ended', input, [
      `Your place in line for ${about(e)} has ended: an offer ran out unaccepted, or the event stopped selling tickets.`,
    ]);
  },
  event_cancelled(input) {
    const e = need(input), d = input.data;
    return mail('An event you booked is cancelled', input, [
      `${about(e)} is cancelled. Your bookings and waitlist places for it are cancelled.`,
      'Any payment you made for it is refunded in full.',
      ...reasonLine(d),
    ]);
  },
  event_changed(input) {
    const e = need(input), d = input.data;
    const what = [d.schedule_changed ? 'time' : undefined, d.venue_changed ? 'place' : undefined].filter(Boolean).join(' and ');
    return mail('An event you booked has changed', input, [
      `The ${what || 'details'} of an event you booked changed. It is now: ${about(e)}.`,
      'Your booking stays as it is. If you cannot come any more, you can cancel it from your bookings.',
    ]);
  },
};
