import { sql, type Kysely, type Transaction } from 'kysely';
import type { Tx } from '../../kernel/index.js';
import type { BookingsDeps } from './bookings.deps.js';
import type { DB as BookingsTables } from './bookings.tables.js';
import { availabilityChanged, changeLine, forSale, moveSeats, type Ledger } from './ledger.repository.js';
import { waitlistMessage } from './waitlist.events.js';
import { expireEntries, lineHead, offerTo, type Entry } from './waitlist.repository.js';

/** Entries read per step while offering seats down the line. */
const STEP = 100;

/** Whether the event sells now: published and not started. */
export async function onSale(db: Kysely<BookingsTables> | Transaction<BookingsTables>, eventId: string): Promise<boolean> {
  const row = await sql<{ on_sale: boolean }>`select exists (select 1 from bookings.events where event_id = ${eventId} and status = 'published' and starts_at > now()) as on_sale`.execute(db);
  return row.rows[0]!.on_sale;
}

/**
 * The end of every change of an event's ledger except a hold (the caller's update or lock keeps its
 * row until the commit): free seats go to the head of the event's line first, then the new counts are
 * published. Offers follow the line strictly: the head is offered seats once its whole quantity is
 * free, and nobody behind it (nor the public, see bookings.take_seats) gets seats before it does,
 * so at most the head's quantity less one seat waits unsold for it.
 */
export async function settle(deps: Pick<BookingsDeps, 'outbox' | 'glance' | 'config'>, trx: Tx, ledger: Ledger, o: { changed?: boolean } = {}): Promise<Ledger> {
  let l = ledger;
  if (l.waiting > 0 && l.available > 0 && (await onSale(trx, l.event_id))) l = await offerSeats(deps, trx, l);
  // `changed: false`: the caller only locked the ledger; a message only if offers moved it.
  if (o.changed === false && l === ledger) return l;
  await deps.outbox.add(trx, availabilityChanged(l));
  deps.glance.saw(l.event_id, forSale(l));
  return l;
}

/**
 * The ledger once `entries` of one event left its line (cancelled, expired): offers give their seats
 * back, waiting entries are no longer counted. An entry is offered once at most, so one with a
 * deadline was an offer. The caller settles the result.
 */
export async function leaveLine(trx: Tx, eventId: string, entries: Pick<Entry, 'quantity' | 'offer_expires_at'>[]): Promise<Ledger> {
  const offers = entries.filter((e) => e.offer_expires_at !== null);
  const seats = offers.reduce((n, e) => n + e.quantity, 0);
  const released = seats ? await moveSeats(trx, eventId, 'release', seats) : undefined;
  if (seats && !released) throw new Error(`ledger of ${eventId} has not the ${seats} held seat(s) its offers count`);
  const waiting = offers.length - entries.length;
  return waiting || !released ? changeLine(trx, eventId, { waiting }) : released;
}

async function offerSeats(deps: Pick<BookingsDeps, 'outbox' | 'config'>, trx: Tx, ledger: Ledger): Promise<Ledger> {
  let left = ledger.available;
  const offered: Entry[] = [];
  const expired: Entry[] = [];
  for (;;) {
    const head = await lineHead(trx, ledger.event_id, STEP);
    const fits: string[] = [];
    const tooBig: string[] = [];
    let blocked = false;
    for (const e of head) {
      // More than the event has (its capacity was cut after the entry joined): it would block the
      // line for good, so it leaves it.
      if (e.quantity > ledger.capacity) {
        tooBig.push(e.id);
        continue;
      }
      if (e.quantity > left) {
        blocked = true;
        break;
      }
      left -= e.quantity;
      fits.push(e.id);
    }
    offered.push(...(await offerTo(trx, fits, deps.config.offerMs)));
    expired.push(...(await expireEntries(trx, tooBig, `the event has ${ledger.capacity} seat(s) in all`)));
    if (blocked || head.length < STEP) break;
  }
  if (!offered.length && !expired.length) return ledger;
  await deps.outbox.add(trx, ...offered.map((e) => waitlistMessage('bookings.waitlist.offered', e)), ...expired.map((e) => waitlistMessage('bookings.waitlist.expired', e)));
  return changeLine(trx, ledger.event_id, { offered: offered.reduce((n, e) => n + e.quantity, 0), waiting: -offered.length - expired.length });
}
