import { sql, type Kysely } from 'kysely';
import { EVENT_COLUMNS, type EventRecord, type EventStatus } from './event.repository.js';
import type { DB as EventsTables } from './events.tables.js';

export const SORTS = ['starts_at', '-starts_at', 'price', '-price', 'created_at', '-created_at', 'relevance'] as const;
export type Sort = (typeof SORTS)[number];

/** Each sort but relevance: its column and direction (ties: the id, the same way). */
const ORDERS: Record<Exclude<Sort, 'relevance'>, readonly ['e.starts_at' | 'e.price' | 'e.created_at', 'asc' | 'desc']> = {
  starts_at: ['e.starts_at', 'asc'],
  '-starts_at': ['e.starts_at', 'desc'],
  price: ['e.price', 'asc'],
  '-price': ['e.price', 'desc'],
  created_at: ['e.created_at', 'asc'],
  '-created_at': ['e.created_at', 'desc'],
};

export interface EventFilter {
  statuses: readonly EventStatus[];
  category?: string;
  /** Part of the venue's name, any case. */
  venue?: string;
  /** Full-text search (websearch syntax: words, "a phrase", -not, or). */
  q?: string;
  /** Starts at or after. */
  from?: Date;
  /** Starts before. */
  to?: Date;
  priceMin?: string;
  priceMax?: string;
  upcoming?: boolean;
  hasSeats?: boolean;
  sort: Sort;
  page: number;
  size: number;
}

const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The query of one page of events matching the filter, in a total order (the sort key, then the id)
 * so pages never repeat or skip a row, carrying the count of all matches; and the filtered query it
 * pages, for a count on its own. Each filter and sort of published events has an index
 * (migrations/001_events.sql; events.plans.test.ts reads the plans).
 */
export function listQuery(db: Kysely<EventsTables>, f: EventFilter) {
  const query = f.q === undefined ? undefined : sql`websearch_to_tsquery('english', ${f.q})`;
  let q = db
    .selectFrom('events.events as e')
    .leftJoin('events.availability as a', 'a.event_id', 'e.id')
    .where('e.status', 'in', [...f.statuses]);
  if (f.category !== undefined) q = q.where('e.category', '=', f.category);
  if (f.venue !== undefined) q = q.where(sql`lower(e.venue)`, 'like', likePattern(f.venue));
  if (query) q = q.where(sql<boolean>`e.search @@ ${query}`);
  if (f.from) q = q.where('e.starts_at', '>=', f.from);
  if (f.to) q = q.where('e.starts_at', '<', f.to);
  if (f.upcoming) q = q.where('e.starts_at', '>', sql<Date>`now()`);
  if (f.priceMin !== undefined) q = q.where('e.price', '>=', f.priceMin);
  if (f.priceMax !== undefined) q = q.where('e.price', '<=', f.priceMax);
  if (f.hasSeats) q = q.where(sql<boolean>`e.capacity > coalesce(a.taken, 0)`);

  let page = q
    .select(EVENT_COLUMNS)
    .select([sql<number>`coalesce(a.taken, 0)`.as('taken'), sql<boolean>`coalesce(a.sold_ever, false)`.as('sold_ever'), sql<number>`count(*) over ()`.as('total')]);
  if (f.sort === 'relevance') {
    if (!query) throw new Error('sorting by relevance needs a search');
    page = page.orderBy(sql`ts_rank_cd(e.search, ${query})`, 'desc').orderBy('e.starts_at').orderBy('e.id');
  } else {
    const [column, direction] = ORDERS[f.sort];
    page = page.orderBy(column, direction).orderBy('e.id', direction);
  }
  return { page: page.limit(f.size).offset((f.page - 1) * f.size), filtered: q };
}

/** One page of events matching the filter, and the count of all matches. */
export async function listEvents(db: Kysely<EventsTables>, f: EventFilter): Promise<{ items: EventRecord[]; total: number }> {
  const { page, filtered: q } = listQuery(db, f);
  const rows = await page.execute();
  let total = Number(rows[0]?.total ?? 0);
  // A page past the end has no row to carry the count: count on its own.
  if (!rows.length && f.page > 1) total = Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return { items: rows.map(({ total: _t, ...e }) => e as EventRecord), total };
}
