import { sql, type Kysely, type Transaction } from 'kysely';
import type { BookingsPayload } from '../../contracts/bookings.js';
import type { NewEvent } from '../../kernel/index.js';
import type { DB as BookingsTables } from './bookings.tables.js';

type Executor = Kysely<BookingsTables> | Transaction<BookingsTables>;

export interface Ledger {
  event_id: string;
  capacity: number;
  total: number;
  available: number;
  held: number;
  confirmed: number;
  /** Entries waiting in the event's line: while there are any, no seat is sold to the public. */
  waiting: number;
  version: number;
}

/** Seats the public can hold now: none while anyone waits in line (released seats go to the line). */
export const forSale = (l: Pick<Ledger, 'available' | 'waiting'>) => (l.waiting > 0 ? 0 : l.available);

/** A move of seats between the ledger's columns; the database refuses any that breaks its invariant. */
export type SeatMove = 'release' | 'confirm' | 'refund';

export async function findLedger(db: Executor, eventId: string): Promise<Ledger | undefined> {
  return db.selectFrom('bookings.ledgers').selectAll().where('event_id', '=', eventId).executeTakeFirst() as Promise<Ledger | undefined>;
}

/** The event's ledger, its row locked until the commit: every change of the event's line starts here. */
export async function lockLedger(trx: Transaction<BookingsTables>, eventId: string): Promise<Ledger | undefined> {
  return trx.selectFrom('bookings.ledgers').selectAll().where('event_id', '=', eventId).forUpdate().executeTakeFirst() as Promise<Ledger | undefined>;
}

/**
 * The line's changes in the ledger, in one update: `offered` seats go from available to held for
 * offers, and the count of waiting entries moves by `waiting`.
 */
export async function changeLine(db: Executor, eventId: string, change: { offered?: number; waiting: number }): Promise<Ledger> {
  const offered = change.offered ?? 0;
  return db
    .updateTable('bookings.ledgers')
    .set({ available: sql`available - ${offered}`, held: sql`held + ${offered}`, waiting: sql`waiting + ${change.waiting}`, version: sql`version + 1` })
    .where('event_id', '=', eventId)
    .returningAll()
    .executeTakeFirstOrThrow() as Promise<Ledger>;
}

/**
 * The ledger of a new event, or its capacity changed: the seats taken stay taken (a cut never
 * invalidates bookings: `total` stays at what is held and sold if the capacity is below it).
 * Returns the ledger after the change, or undefined when nothing moved.
 */
export async function resizeLedger(db: Executor, eventId: string, capacity: number): Promise<Ledger | undefined> {
  const total = sql<number>`greatest(${capacity}, bookings.ledgers.held + bookings.ledgers.confirmed)`;
  return db
    .insertInto('bookings.ledgers')
    .values({ event_id: eventId, capacity, total: capacity, available: capacity, held: 0, confirmed: 0 })
    .onConflict((oc) => oc.column('event_id').doUpdateSet({
      capacity,
      total,
      available: sql`${total} - bookings.ledgers.held - bookings.ledgers.confirmed`,
      version: sql`bookings.ledgers.version + 1`,
    }).where(sql<boolean>`bookings.ledgers.capacity <> ${capacity}`))
    .returningAll()
    .executeTakeFirst() as Promise<Ledger | undefined>;
}

/**
 * Moves `seats` seats in one conditional update: `release` gives held ones back, `confirm` turns held
 * into confirmed, `refund` gives confirmed ones back. Undefined when the seats are not there. (Holds
 * take seats with takeSeats, which also checks the event is on sale.)
 */
export async function moveSeats(db: Executor, eventId: string, move: SeatMove, seats: number): Promise<Ledger | undefined> {
  const [from, to] = MOVES[move];
  // Seats given back above the capacity (after a cut) leave the ledger instead of going on sale.
  const shrink = to === 'available' ? sql<number>`least(total - capacity, ${seats})` : sql<number>`0`;
  return db
    .updateTable('bookings.ledgers')
    .set({
      [from]: sql`${sql.ref(from)} - ${seats}`,
      [to]: sql`${sql.ref(to)} + ${seats} - ${shrink}`,
      total: sql`total - ${shrink}`,
      version: sql`version + 1`,
    })
    .where('event_id', '=', eventId)
    .where(from, '>=', seats)
    .returningAll()
    .executeTakeFirst() as Promise<Ledger | undefined>;
}

const MOVES: Record<SeatMove, readonly ['available' | 'held' | 'confirmed', 'available' | 'held' | 'confirmed']> = {
  release: ['held', 'available'],
  confirm: ['held', 'confirmed'],
  refund: ['confirmed', 'available'],
};

/** What the catalogue and every other consumer learn of a ledger change (by its version). */
export function availabilityChanged(l: Ledger): NewEvent<BookingsPayload<'bookings.availability.changed'>> {
  return {
    type: 'bookings.availability.changed',
    version: 1,
    payload: { event_id: l.event_id, capacity: l.capacity, held: l.held, sold: l.confirmed, available: forSale(l), waiting: l.waiting, ledger_version: l.version },
  };
}

export interface Taken extends Omit<Ledger, 'event_id'> {
  /** False when the event is no longer on sale (cancelled, completed, started): nothing taken. */
  on_sale: boolean;
  /** Per request, in order: whether its seats were taken (none while anyone waits in line). */
  granted: boolean[];
}

/**
 * Seats for holds of one event, in order, each if it still fits, in one statement that locks the
 * event's row and then checks the event is on sale (bookings.take_seats). Undefined: no ledger.
 */
export async function takeSeats(db: Executor, eventId: string, quantities: number[]): Promise<Taken | undefined> {
  return (await sql<Taken>`select * from bookings.take_seats(${eventId}::uuid, ${quantities}::int[])`.execute(db)).rows[0];
}
