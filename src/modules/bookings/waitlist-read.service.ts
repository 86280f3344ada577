import type { Actor } from './actor.js';
import type { BookingsDeps } from './bookings.deps.js';
import { findLedger, forSale } from './ledger.repository.js';
import { onSale } from './line.js';
import type { AdminWaitlistQuery, WaitlistQuery } from './waitlist.schemas.js';
import { LIVE, positions, type Entry } from './waitlist.repository.js';
import { visibleEntry } from './waitlist.service.js';

export interface Placed {
  entry: Entry;
  position: number | null;
}

/** Entries with their places in line: one query for the page's waiting entries. */
async function placed(deps: BookingsDeps, entries: Entry[]): Promise<Placed[]> {
  const at = await positions(deps.db, entries);
  return entries.map((entry) => ({ entry, position: at.get(entry.id) ?? null }));
}

/**
 * Entries, filtered. One event's entries come in line order (live entries first, by priority then
 * join time); otherwise newest first. Ties by id: pages never repeat or skip one.
 */
export async function listEntries(deps: BookingsDeps, q: AdminWaitlistQuery): Promise<{ items: Placed[]; total: number }> {
  let base = deps.db.selectFrom('bookings.waitlist');
  if (q.event_id) base = base.where('event_id', '=', q.event_id.toLowerCase());
  if (q.user_id) base = base.where('user_id', '=', q.user_id.toLowerCase());
  if (q.status) base = base.where('status', '=', q.status);
  let rows = base.selectAll();
  rows = q.event_id
    ? rows.orderBy((eb) => eb.case().when('status', '=', 'offered').then(0).when('status', '=', 'waiting').then(1).else(2).end()).orderBy('priority', 'desc').orderBy('joined_at').orderBy('id')
    : rows.orderBy('joined_at', 'desc').orderBy('id', 'desc');
  const [items, count] = await Promise.all([
    rows.limit(q.size).offset((q.page - 1) * q.size).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: await placed(deps, items as Entry[]), total: Number(count.n) };
}

/** The caller's own entries: the admin list with the user fixed. */
export function listOwnEntries(deps: BookingsDeps, actor: Actor, q: WaitlistQuery) {
  return listEntries(deps, { ...q, user_id: actor.id });
}

/** An entry already read, with its place in line. */
export async function withPosition(deps: BookingsDeps, entry: Entry): Promise<Placed> {
  return (await placed(deps, [entry]))[0]!;
}

export async function entryWithPosition(deps: BookingsDeps, actor: Actor, id: string): Promise<Placed> {
  return withPosition(deps, await visibleEntry(deps, actor, id));
}

/** Where the entry stands: its place in line (the real one, counted now) and how many wait. */
export async function entryPosition(deps: BookingsDeps, actor: Actor, id: string) {
  const { entry, position } = await entryWithPosition(deps, actor, id);
  const ledger = await findLedger(deps.db, entry.event_id);
  return { entry, position, waiting: ledger?.waiting ?? 0 };
}

/** Whether the caller can join the event's line, how long it is, and their live entry in it. */
export async function checkWaitlist(deps: BookingsDeps, actor: Actor, eventId: string) {
  const id = eventId.toLowerCase();
  const [ledger, selling, mine] = await Promise.all([
    findLedger(deps.db, id),
    onSale(deps.db, id),
    deps.db.selectFrom('bookings.waitlist').selectAll().where('user_id', '=', actor.id).where('event_id', '=', id).where('status', 'in', [...LIVE]).executeTakeFirst(),
  ]);
  return {
    event_id: id,
    // Sold out to the public (joining also works when fewer seats are for sale than one wants).
    waitlist_open: !!ledger && selling && forSale(ledger) === 0,
    waiting: ledger?.waiting ?? 0,
    entry: mine ? await withPosition(deps, mine as Entry) : null,
  };
}
