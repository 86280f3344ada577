import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BookingsWaitlist, DB as BookingsTables } from './bookings.tables.js';

type Executor = Kysely<BookingsTables> | Transaction<BookingsTables>;

export type EntryStatus = 'waiting' | 'offered' | 'converted' | 'cancelled' | 'expired';
export type Entry = Omit<Selectable<BookingsWaitlist>, 'status'> & { status: EntryStatus };

/** Entries in these states are the user's one live entry for the event. */
export const LIVE: readonly EntryStatus[] = ['waiting', 'offered'];

export async function findEntry(db: Executor, id: string): Promise<Entry | undefined> {
  return (await db.selectFrom('bookings.waitlist').selectAll().where('id', '=', id).executeTakeFirst()) as Entry | undefined;
}

/**
 * A new waiting entry, or undefined when the user already has a live one for the event (the
 * predicate is written out, not bound, so PostgreSQL can infer the partial unique index from it).
 */
export async function insertEntry(db: Executor, e: Pick<Entry, 'id' | 'user_id' | 'event_id' | 'quantity'>): Promise<Entry | undefined> {
  return (await db
    .insertInto('bookings.waitlist')
    .values({ ...e, status: 'waiting' })
    .onConflict((oc) => oc.columns(['user_id', 'event_id']).where(sql<boolean>`status in ('waiting', 'offered')`).doNothing())
    .returningAll()
    .executeTakeFirst()) as Entry | undefined;
}

/**
 * A compare-and-set: the entry moves only if it is still in `from` at `version` (and, for an offer
 * being accepted, not run out). Undefined when someone else moved it first.
 */
export async function changeEntry(
  db: Executor,
  e: Pick<Entry, 'id' | 'version'>,
  from: EntryStatus,
  set: { status?: EntryStatus; priority?: number; booking_id?: string; reason?: string | null },
  o: { unexpiredOffer?: boolean } = {},
): Promise<Entry | undefined> {
  let q = db
    .updateTable('bookings.waitlist')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', '=', e.id)
    .where('status', '=', from)
    .where('version', '=', e.version);
  if (o.unexpiredOffer) q = q.where('offer_expires_at', '>', sql<Date>`now()`);
  return (await q.returningAll().executeTakeFirst()) as Entry | undefined;
}

/** The head of an event's line, in order (priority, then join time), locked: up to `limit` entries. */
export async function lineHead(trx: Transaction<BookingsTables>, eventId: string, limit: number): Promise<Entry[]> {
  return (await trx
    .selectFrom('bookings.waitlist')
    .selectAll()
    .where('event_id', '=', eventId)
    .where('status', '=', 'waiting')
    .orderBy('priority', 'desc')
    .orderBy('joined_at')
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .execute()) as Entry[];
}

/** Moves waiting entries (those still waiting of `ids`) in one update. */
async function moveWaiting(trx: Transaction<BookingsTables>, ids: string[], set: Record<string, unknown>): Promise<Entry[]> {
  if (!ids.length) return [];
  return (await trx
    .updateTable('bookings.waitlist')
    .set({ ...set, version: sql`version + 1`, updated_at: sql`now()` })
    .where('id', 'in', ids)
    .where('status', '=', 'waiting')
    .returningAll()
    .execute()) as Entry[];
}

/** Offers the entries their seats until now + `offerMs`. */
export function offerTo(trx: Transaction<BookingsTables>, ids: string[], offerMs: number): Promise<Entry[]> {
  return moveWaiting(trx, ids, { status: 'offered', offered_at: sql`now()`, offer_expires_at: sql`now() + ${offerMs} * interval '1 millisecond'` });
}

/** Waiting entries that can never be served, out of the line with the reason. */
export function expireEntries(trx: Transaction<BookingsTables>, ids: string[], reason: string): Promise<Entry[]> {
  return moveWaiting(trx, ids, { status: 'expired', reason });
}

/**
 * The place of each waiting entry in its event's line (1 is next): the entries ahead of it by
 * priority, then join time, then id, plus one. Entries not waiting have none.
 */
export async function positions(db: Executor, entries: Pick<Entry, 'id' | 'event_id' | 'status' | 'priority' | 'joined_at'>[]): Promise<Map<string, number>> {
  const waiting = entries.filter((e) => e.status === 'waiting');
  if (!waiting.length) return new Map();
  const rows = await sql<{ id: string; position: string }>`
    select e.id, (select count(*) + 1 from bookings.waitlist w
                  where w.event_id = e.event_id and w.status = 'waiting'
                    and (w.priority > e.priority or (w.priority = e.priority and (w.joined_at, w.id) < (e.joined_at, e.id)))) as position
    from bookings.waitlist e where e.id = any(${waiting.map((e) => e.id)}::uuid[])`.execute(db);
  return new Map(rows.rows.map((r) => [r.id, Number(r.position)]));
}
