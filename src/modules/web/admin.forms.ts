/**
 * The organiser pages' inputs: query and form schemas, and the reading of the event form (numbers
 * and times as typed, so a bad one comes back to the form with a message).
 */
import { DateTime } from 'luxon';
import { Type } from 'typebox';
import type { operations } from '../../client/index.js';
import { FormOf } from './forms.js';
import { EXPORTS, type ExportTable } from './views/admin-dashboard.js';
import type { EventFormValues } from './views/admin-events.js';
import type { Filters, Paging } from './views/admin.js';

const text = (max: number) => Type.String({ maxLength: max });
const optional = (max: number) => Type.Optional(text(max));
const choice = <T extends string>(values: readonly T[]) => Type.Optional(Type.Enum(['', ...values]));
// Like every page's query: a parameter the page does not know (utm_…) is not its to refuse.
export const query = <P extends Record<string, ReturnType<typeof optional> | ReturnType<typeof choice>>>(fields: P) =>
  Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })), done: optional(40), ...fields }, { additionalProperties: true });

const BOOKING_STATUSES = ['pending', 'confirmed', 'cancelled', 'expired', 'refunded'] as const;
export const EventsQuery = query({ q: optional(200), status: choice(['draft', 'published', 'completed', 'cancelled'] as const) });
export const BookingsQuery = query({ reference: optional(40), status: choice(BOOKING_STATUSES), event_id: optional(64), user_id: optional(64) });
export const AuditQuery = query({ booking_id: optional(64), event_id: optional(64), action: choice(['held', 'confirmed', 'cancelled', 'expired', 'refunded'] as const), from: optional(10), to: optional(10) });
export const WaitlistQuery = query({ event_id: optional(64), status: choice(['waiting', 'offered', 'converted', 'cancelled', 'expired'] as const) });
export const UsersQuery = query({ search: optional(100), role: choice(['user', 'admin'] as const) });
export const ExportParams = Type.Object({ table: Type.Enum(Object.keys(EXPORTS) as ExportTable[]) });
export const ExportQuery = Type.Object({ days: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 })) }, { additionalProperties: true });

// Numbers arrive as text and are read here, so a bad one comes back to the form as typed, with a message.
export const EventForm = FormOf({
  title: text(255), venue: text(255), category: text(50), capacity: text(12), price: text(20), currency: text(10),
  starts_at: text(40), ends_at: text(40), timezone: text(64), max_per_booking: text(12), max_per_user: optional(12), description: text(20_000),
});
export const CancelForm = FormOf({ reason: text(500) });
export const PriorityForm = FormOf({ priority: Type.Integer({ minimum: -1000, maximum: 1000 }), event_id: optional(64) });
export const UserForm = FormOf({ search: optional(100), role: choice(['user', 'admin'] as const), page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) });

type EventBody = NonNullable<operations['createEvent']['requestBody']>['content']['application/json'];
export type Params = { id: string };

export const blank = (s: string | undefined) => s?.trim() || undefined;
export const pagingOf = (page: number, data?: { has_prev: boolean; has_next: boolean }): Paging => ({ page, hasPrev: data?.has_prev ?? page > 1, hasNext: data?.has_next ?? false });
/** The filters a list was asked for, for its pager and its form: not the page itself, nor a one-off notice. */
export const filtersOf = (q: Record<string, unknown>, keys: string[]): Filters =>
  Object.fromEntries(keys.flatMap((k) => (typeof q[k] === 'string' && q[k].trim() ? [[k, q[k].trim()]] : [])));
export const search = (o: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(o).flatMap(([k, v]) => (v === undefined || v === '' ? [] : [[k, String(v)]]))).toString();

/** A datetime-local value on the venue's clock as the instant the API stores. */
function instant(label: string, local: string, zone: string): { iso: string } | { error: string } {
  const typed = local.trim();
  const t = DateTime.fromISO(typed, { zone });
  const iso = t.isValid ? t.toUTC().toISO() : null;
  if (!iso) return { error: `${label} needs a date and a time.` };
  // Luxon moves a time the clocks skip (spring forward) to one that exists: the organiser chooses instead.
  if (t.toFormat("yyyy-LL-dd'T'HH:mm") !== typed.slice(0, 16)) return { error: `${label}: ${typed.replace('T', ' ')} does not exist in ${zone} (the clocks go forward then).` };
  return { iso };
}

/** The form as the API's event body, or what is wrong with it before the API need be asked. */
export function eventBody(f: EventFormValues): { body: EventBody } | { error: string } {
  if (!DateTime.local().setZone(f.timezone).isValid) return { error: `"${f.timezone}" is not a time zone: choose one from the list.` };
  const starts = instant('Starts', f.starts_at, f.timezone);
  if ('error' in starts) return starts;
  const ends = f.ends_at.trim() ? instant('Ends', f.ends_at, f.timezone) : { iso: null };
  if ('error' in ends) return ends;
  // Digits only: Number() would take "0x10" for 16 seats and "1e3" for a thousand.
  const whole = (v: string) => (/^\d{1,9}$/.test(v.trim()) ? Number(v) : NaN);
  const capacity = whole(f.capacity);
  if (!Number.isInteger(capacity)) return { error: 'Capacity must be a whole number of seats.' };
  const perBooking = f.max_per_booking.trim() ? whole(f.max_per_booking) : undefined;
  if (perBooking !== undefined && !Number.isInteger(perBooking)) return { error: 'Most seats in one booking must be a whole number.' };
  const perUser = f.max_per_user?.trim() ? whole(f.max_per_user) : null;
  if (perUser !== null && !Number.isInteger(perUser)) return { error: 'Most seats per attendee must be a whole number.' };
  return {
    body: {
      title: f.title.trim(), venue: f.venue.trim(), category: f.category.trim(), description: f.description,
      capacity, price: f.price.trim(), currency: f.currency.trim().toUpperCase(), starts_at: starts.iso, ends_at: ends.iso, timezone: f.timezone, max_per_booking: perBooking, max_per_user: perUser,
    },
  };
}

/** A day typed in a date input as the instant it starts (UTC), `after` days on. */
export function utcDay(day: string | undefined, after = 0): string | undefined {
  if (!blank(day)) return undefined;
  const t = DateTime.fromISO(day!.trim(), { zone: 'utc' });
  return t.isValid ? t.plus({ days: after }).toISO()! : day; // not a date: the API says so
}

