import { AppError } from '../../kernel/index.js';
import type { EventFields } from './event.repository.js';
import type { EventBody, EventPatch } from './events.schemas.js';
import { canonicalZone, isCurrency } from './zones.js';

const invalid = (field: string, message: string) => new AppError('VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });

/** White space and invisible characters (zero-width spaces and joiners, word joiner, BOM). */
const BLANK = /^[\s\u200b-\u200d\u2060\ufeff]*$/u;

function text(field: string, raw: string): string {
  const value = raw.trim();
  if (BLANK.test(value)) throw invalid(field, 'must not be blank');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) throw invalid(field, 'must not contain control characters');
  return value;
}

/**
 * "25", 25.5, "25.50" → "25.50"; more than two decimals is refused, never rounded. A JSON number is
 * read as the shortest text that writes it ("25.5"), so 1e-9 or 0.1 + 0.2 are refused, not rounded.
 */
export function price(raw: number | string, field = 'price'): string {
  const [whole = '', fraction = ''] = String(raw).split('.');
  if (!/^\d{1,8}$/.test(whole) || !/^\d{0,2}$/.test(fraction)) throw invalid(field, 'must be a decimal from 0 to 99999999.99 with at most two decimals');
  return `${Number(whole)}.${fraction.padEnd(2, '0')}`;
}

/** Years an event can take place in: what calendars, ISO 8601 and every client show alike. */
const EARLIEST = Date.UTC(2000, 0, 1);
const LATEST = Date.UTC(2200, 0, 1);

function time(field: string, raw: string): Date {
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw invalid(field, 'must be a date-time');
  if (at.getTime() < EARLIEST || at.getTime() >= LATEST) throw invalid(field, 'must be between 2000 and 2199');
  return at;
}

type Input = Partial<EventBody>;

/** The fields given, normalised (trimmed, lower-cased slug, canonical zone, upper-case currency, money). */
export function normaliseFields(input: Input | EventPatch): Partial<EventFields> {
  const out: Partial<EventFields> = {};
  if (input.title !== undefined) out.title = text('title', input.title);
  if (input.description !== undefined) out.description = input.description.trim();
  if (input.venue !== undefined) out.venue = text('venue', input.venue);
  if (input.category !== undefined) {
    out.category = input.category.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{0,49}$/.test(out.category)) throw invalid('category', 'must be 1 to 50 of a-z, 0-9 and -, starting with a letter or digit');
  }
  if (input.starts_at !== undefined) out.starts_at = time('starts_at', input.starts_at);
  if (input.ends_at !== undefined) out.ends_at = input.ends_at === null ? null : time('ends_at', input.ends_at);
  if (input.timezone !== undefined) {
    const zone = canonicalZone(input.timezone.trim());
    if (!zone) throw invalid('timezone', 'must be an IANA time zone name, e.g. Europe/Paris');
    out.timezone = zone;
  }
  if (input.capacity !== undefined) out.capacity = input.capacity;
  if (input.price !== undefined) out.price = price(input.price);
  if (input.currency !== undefined) {
    out.currency = input.currency.toUpperCase();
    if (!isCurrency(out.currency)) throw invalid('currency', 'must be an ISO 4217 currency code');
  }
  if (input.max_per_booking !== undefined) out.max_per_booking = input.max_per_booking;
  if (input.max_per_user !== undefined) out.max_per_user = input.max_per_user;
  return out;
}

/** A whole event from a create or PUT body: what is left out takes its default. */
export function completeFields(input: EventBody): EventFields {
  const given = normaliseFields(input);
  return {
    description: '',
    ends_at: null,
    timezone: 'UTC',
    currency: 'USD',
    max_per_booking: 10,
    max_per_user: null,
    ...given,
  } as EventFields;
}

/**
 * The rules between fields, checked on the event as it would be: it ends after it starts, a
 * published event (or one being published) starts in the future, and a user may book at least one
 * full booking.
 */
export function checkEvent(e: EventFields, published: boolean, now = new Date()): void {
  if (e.ends_at && e.ends_at < e.starts_at) throw invalid('ends_at', 'must not be before starts_at');
  if (published && e.starts_at <= now) throw invalid('starts_at', 'must be in the future for a published event');
  // A per-user cap below the per-booking one would let one booking break it.
  if (e.max_per_user !== null && e.max_per_user < e.max_per_booking) throw invalid('max_per_user', 'must not be below max_per_booking');
}
