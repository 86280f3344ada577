import { sql, type Kysely, type Transaction } from 'kysely';
import { prepared } from '../../kernel/index.js';
import type { DB as EventsTables } from './events.tables.js';

type Executor = Kysely<EventsTables> | Transaction<EventsTables>;

export type EventStatus = 'draft' | 'published' | 'completed' | 'cancelled';
export const EVENT_STATUSES: readonly EventStatus[] = ['draft', 'published', 'completed', 'cancelled'];

export interface EventRow {
  id: string;
  title: string;
  description: string;
  venue: string;
  category: string;
  starts_at: Date;
  ends_at: Date | null;
  timezone: string;
  capacity: number;
  /** numeric(10,2) as PostgreSQL writes it: "25.00". */
  price: string;
  currency: string;
  max_per_booking: number;
  /** null: max_per_booking. */
  max_per_user: number | null;
  status: EventStatus;
  cancel_reason: string | null;
  version: number;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  published_at: Date | null;
  cancelled_at: Date | null;
  completed_at: Date | null;
}

/** The row with the seats the bookings ledger reported as held or sold (0 until it reports). */
export interface EventRecord extends EventRow {
  taken: number;
  sold_ever: boolean;
}

/** What an admin sets; the rest is the row's life (status, version, times). */
export type EventFields = Pick<EventRow, 'title' | 'description' | 'venue' | 'category' | 'starts_at' | 'ends_at' | 'timezone' | 'capacity' | 'price' | 'currency' | 'max_per_booking' | 'max_per_user'>;

/** Every column but the search vector (never read back). */
export const EVENT_COLUMNS = [
  'e.id', 'e.title', 'e.description', 'e.venue', 'e.category', 'e.starts_at', 'e.ends_at', 'e.timezone', 'e.capacity', 'e.price',
  'e.currency', 'e.max_per_booking', 'e.max_per_user', 'e.status', 'e.cancel_reason', 'e.version', 'e.created_by', 'e.created_at',
  'e.updated_at', 'e.published_at', 'e.cancelled_at', 'e.completed_at',
] as const;

function withSeats(db: Executor) {
  return db
    .selectFrom('events.events as e')
    .leftJoin('events.availability as a', 'a.event_id', 'e.id')
    .select(EVENT_COLUMNS)
    .select([sql<number>`coalesce(a.taken, 0)`.as('taken'), sql<boolean>`coalesce(a.sold_ever, false)`.as('sold_ever')]);
}

export async function insertEvent(db: Executor, e: EventFields & { id: string; created_by: string }): Promise<EventRecord> {
  await db.insertInto('events.events').values(e).execute();
  return (await findEvent(db, e.id))!;
}

// Every public read of an event and every change of one starts here: prepared once per connection.
const byId = prepared('events_find', (db: Executor, id: string) => withSeats(db).where('e.id', '=', id));
const lockedById = prepared('events_lock', (db: Executor, id: string) => withSeats(db).where('e.id', '=', id).forUpdate('e'));

export async function findEvent(db: Executor, id: string): Promise<EventRecord | undefined> {
  return (await byId(db, id))[0] as EventRecord | undefined;
}

/** The event, locked until the transaction ends: every change of an event runs under this lock. */
export async function lockEvent(db: Executor, id: string): Promise<EventRecord | undefined> {
  return (await lockedById(db, id))[0] as EventRecord | undefined;
}

export type EventChange = Partial<EventFields> & Partial<Pick<EventRow, 'status' | 'cancel_reason'>>;

/** Applies the change, bumps the version and stamps the state's time; returns the row as it is now. */
export async function updateEvent(db: Executor, id: string, change: EventChange): Promise<EventRecord> {
  await db
    .updateTable('events.events')
    .set({
      ...change,
      version: sql<number>`version + 1`,
      updated_at: sql<Date>`now()`,
      ...(change.status === 'published' ? { published_at: sql<Date>`now()` } : {}),
      ...(change.status === 'cancelled' ? { cancelled_at: sql<Date>`now()` } : {}),
      ...(change.status === 'completed' ? { completed_at: sql<Date>`now()` } : {}),
    })
    .where('id', '=', id)
    .execute();
  return (await findEvent(db, id))!;
}

/** Deletes the event and its seat counts; the version the row had, for the tombstone. */
export async function deleteEvent(db: Executor, id: string): Promise<number | undefined> {
  const row = await db.deleteFrom('events.events').where('id', '=', id).returning('version').executeTakeFirst();
  await db.deleteFrom('events.availability').where('event_id', '=', id).execute();
  return row?.version;
}

/**
 * Marks up to `limit` published events that have ended (their end, or their start when they have
 * none) completed, skipping rows another process is changing; returns them as they are now.
 */
export async function completeEnded(db: Executor, limit: number): Promise<EventRecord[]> {
  const done = await db
    .updateTable('events.events')
    .set({ status: 'completed', completed_at: sql<Date>`now()`, version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('id', 'in', (qb) =>
      qb
        .selectFrom('events.events')
        .select('id')
        .where('status', '=', 'published')
        .where(sql<boolean>`coalesce(ends_at, starts_at) < now()`)
        .orderBy(sql`coalesce(ends_at, starts_at)`)
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning('id')
    .execute();
  if (!done.length) return [];
  return (await withSeats(db).where('e.id', 'in', done.map((d) => d.id)).execute()) as EventRecord[];
}

/**
 * Applies the bookings ledger's count when it is newer than the one kept (a late or repeated
 * message never moves it back); `sold_ever` sticks whatever the order. Returns whether the seats
 * shown changed, and the seats taken before and after.
 */
export async function applySeats(db: Executor, s: { event_id: string; taken: number; sold: number; ledger_version: number }): Promise<{ before: number; after: number }> {
  const { rows } = await sql<{ before: number | null; after: number }>`
    with prior as (select taken from events.availability where event_id = ${s.event_id} for update)
    insert into events.availability as a (event_id, taken, sold_ever, ledger_version)
    values (${s.event_id}, ${s.taken}, ${s.sold > 0}, ${s.ledger_version})
    on conflict (event_id) do update set
      taken = case when a.ledger_version < excluded.ledger_version then excluded.taken else a.taken end,
      ledger_version = greatest(a.ledger_version, excluded.ledger_version),
      sold_ever = a.sold_ever or excluded.sold_ever,
      updated_at = now()
    returning (select taken from prior) as before, a.taken as after`.execute(db);
  const row = rows[0]!;
  return { before: row.before ?? 0, after: row.after };
}
