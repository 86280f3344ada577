/** How the pages write dates, money and states: in the venue's time zone, in plain words. */

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = dateTimeFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' });
    dateTimeFormats.set(timeZone, f);
  }
  return f;
}

/** "Tue, 1 Dec 2026, 19:00 CET": the venue's clock, as the attendee will live it. */
export function when(iso: string, timeZone = 'UTC'): string {
  try {
    return formatter(timeZone).format(new Date(iso));
  } catch {
    return formatter('UTC').format(new Date(iso));
  }
}

export function money(amount: string, currency: string): string {
  try {
    return new Intl.NumberFormat('en-GB', { style: 'currency', currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

export function price(amount: string, currency: string): string {
  return Number(amount) === 0 ? 'Free' : money(amount, currency);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const BOOKING_STATES: Record<string, string> = {
  pending: 'Held, awaiting payment',
  confirmed: 'Confirmed',
  cancelled: 'Cancelled',
  expired: 'Hold expired',
  refunded: 'Refunded',
};
export const bookingState = (s: string) => BOOKING_STATES[s] ?? s;

const WAITLIST_STATES: Record<string, string> = {
  waiting: 'Waiting',
  offered: 'Seats offered to you',
  converted: 'Booked',
  cancelled: 'Left the waitlist',
  expired: 'Offer expired',
};
export const waitlistState = (s: string) => WAITLIST_STATES[s] ?? s;

/** A path inside this site to go back to after signing in; anything else goes home. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

/** The events a page's rows name, by id (rows carry only the id). */
export type Titled = ReadonlyMap<string, { title: string }>;
export const titleOf = (events: Titled, id: string) => events.get(id)?.title ?? 'An event no longer listed';
