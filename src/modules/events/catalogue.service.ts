import { AppError, pageFields } from '../../kernel/index.js';
import { render, type Rendered } from './catalogue.cache.js';
import { price } from './event.input.js';
import { listEvents, type EventFilter } from './event-list.repository.js';
import { EVENT_STATUSES, findEvent, type EventRecord, type EventStatus } from './event.repository.js';
import { capacityView, eventView } from './event.views.js';
import type { EventsDeps } from './events.deps.js';
import type { EventPage, ListQuery, UpcomingQuery } from './events.schemas.js';

/** Admins read every event, uncached and with `created_by`; everyone else reads the public catalogue. */
export type Viewer = 'public' | 'admin';

/** Drafts are the admins' own; published, completed and cancelled events can be looked at by anyone. */
const isPublic = (e: EventRecord) => e.status !== 'draft';

/** A public page of an event lives no longer than until the event starts (it stops being upcoming). */
const untilStart = (e: EventRecord) => e.starts_at.getTime();
const ttlUntil = (r: Rendered | null) => (r?.until === undefined ? Number.POSITIVE_INFINITY : r.until - Date.now());

/**
 * Ids are read in any case (a UUID is case-blind) but keyed in lower case, the case every
 * invalidation uses: `/events/ABC…` must not keep a copy that no change ever drops.
 */
export async function eventDetail(deps: EventsDeps, anyCaseId: string, viewer: Viewer): Promise<Rendered | null> {
  const id = anyCaseId.toLowerCase();
  if (viewer === 'admin') {
    const e = await findEvent(deps.db, id);
    return e ? render(eventView(e, new Date(), true)) : null;
  }
  return deps.cache.detail(id, async () => {
    const e = await findEvent(deps.db, id);
    if (!e || !isPublic(e)) return null;
    const now = new Date();
    return { ...render(eventView(e, now)), ...(e.starts_at > now ? { until: untilStart(e) } : {}) };
  }, ttlUntil);
}

export async function eventCapacity(deps: EventsDeps, anyCaseId: string, viewer: Viewer): Promise<Rendered | null> {
  const id = anyCaseId.toLowerCase();
  const load = async () => {
    const e = await findEvent(deps.db, id);
    return e && (viewer === 'admin' || isPublic(e)) ? render(capacityView(e)) : null;
  };
  return viewer === 'admin' ? load() : deps.cache.capacity(id, load);
}

const invalid = (field: string, message: string) => new AppError('VALIDATION_FAILED', `${field} ${message}`, { details: [{ field, message }] });

/** `2027-06-01` or a date-time; `to` of a bare date includes that whole day (UTC). */
function bound(field: 'from' | 'to', raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const at = new Date(dateOnly ? `${raw}T00:00:00Z` : raw);
  if (Number.isNaN(at.getTime())) throw invalid(field, 'must be a date (YYYY-MM-DD) or a date-time');
  if (dateOnly && field === 'to') at.setUTCDate(at.getUTCDate() + 1);
  return at;
}

function toFilter(query: ListQuery & { upcoming?: boolean }, viewer: Viewer): EventFilter {
  // A q of only spaces searches for nothing: no search at all.
  const q = query.q?.trim() || undefined;
  if (query.sort === 'relevance' && q === undefined) throw invalid('sort', 'relevance needs a search (q)');
  if (query.status && viewer !== 'admin') throw new AppError('FORBIDDEN', 'filtering by status is for admins; others see published events');
  const filter: EventFilter = {
    statuses: viewer === 'admin' ? [...new Set(query.status ?? EVENT_STATUSES)] as EventStatus[] : ['published'],
    category: query.category?.trim().toLowerCase(),
    venue: query.venue?.trim() || undefined,
    q,
    from: bound('from', query.from),
    to: bound('to', query.to),
    priceMin: query.price_min === undefined ? undefined : price(query.price_min, 'price_min'),
    priceMax: query.price_max === undefined ? undefined : price(query.price_max, 'price_max'),
    upcoming: query.upcoming,
    hasSeats: query.has_seats,
    sort: query.sort ?? (q ? 'relevance' : 'starts_at'),
    page: query.page,
    size: query.size,
  };
  if (filter.from && filter.to && filter.from >= filter.to) throw invalid('to', 'must be after from');
  if (filter.priceMin && filter.priceMax && Number(filter.priceMin) > Number(filter.priceMax)) throw invalid('price_max', 'must not be below price_min');
  return filter;
}

/** The same filter, written the same way: the cache key of a list page. */
function filterKey(f: EventFilter): string {
  return JSON.stringify([f.statuses, f.category, f.venue, f.q, f.from?.toISOString(), f.to?.toISOString(), f.priceMin, f.priceMax, f.upcoming, f.hasSeats, f.sort, f.page, f.size]);
}

async function page(deps: EventsDeps, f: EventFilter, admin: boolean): Promise<Rendered> {
  const { items, total } = await listEvents(deps.db, f);
  const now = new Date();
  const body: EventPage = {
    items: items.map((e) => eventView(e, now, admin)),
    ...pageFields(f, total),
  };
  return render(body);
}

/**
 * A page of the catalogue. Public pages are cached (keyed by the normalised filter, dropped by any
 * change), admins' are not. An event that starts leaves `upcoming` pages within the list TTL.
 */
export async function eventList(deps: EventsDeps, query: ListQuery, viewer: Viewer): Promise<Rendered> {
  const filter = toFilter(query, viewer);
  if (viewer === 'admin') return page(deps, filter, true);
  return deps.cache.list(filterKey(filter), () => page(deps, filter, false));
}

/** Published events that have not started, soonest first: the public catalogue, for admins too. */
export function upcomingEvents(deps: EventsDeps, query: UpcomingQuery): Promise<Rendered> {
  return eventList(deps, { ...query, upcoming: true, sort: 'starts_at' }, 'public');
}
