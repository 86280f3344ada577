import { sql } from 'kysely';
import type { Tx } from '../../kernel/index.js';
import type { BookingsDeps } from './bookings.deps.js';
import { lockLedger } from './ledger.repository.js';
import { leaveLine, onSale, settle } from './line.js';
import { waitlistMessage } from './waitlist.events.js';
import type { Entry } from './waitlist.repository.js';

/**
 * Offers that ran out, and the lines of events that stopped selling (started, completed, deleted),
 * up to `limit` events' worth: each event in a transaction of its own under its ledger's lock, where
 * the entries expire by compare-and-set (so every replica may sweep, and each entry expires once).
 * Returns how many entries expired.
 */
export async function expireOffers(deps: BookingsDeps, limit: number): Promise<number> {
  const due = await sql<{ event_id: string }>`
    select distinct event_id from (
      (select event_id from bookings.waitlist where status = 'offered' and offer_expires_at <= now() order by offer_expires_at limit ${limit})
      union all
      (select w.event_id from bookings.waitlist w join bookings.events e on e.event_id = w.event_id
       where w.status in ('waiting', 'offered') and (e.status <> 'published' or e.starts_at <= now()) limit ${limit})
    ) d`.execute(deps.db);
  let expired = 0;
  for (const { event_id } of due.rows) expired += await deps.transaction((trx) => expireLine(deps, trx, event_id));
  return expired;
}

async function expireLine(deps: BookingsDeps, trx: Tx, eventId: string): Promise<number> {
  if (!(await lockLedger(trx, eventId))) return 0;
  const selling = await onSale(trx, eventId);
  const expired = (await trx
    .updateTable('bookings.waitlist')
    .set({ status: 'expired', version: sql`version + 1`, updated_at: sql`now()` })
    .where('event_id', '=', eventId)
    .where(selling ? sql<boolean>`status = 'offered' and offer_expires_at <= now()` : sql<boolean>`status in ('waiting', 'offered')`)
    .returningAll()
    .execute()) as Entry[];
  if (!expired.length) return 0;
  await deps.outbox.add(trx, ...expired.map((e) => waitlistMessage('bookings.waitlist.expired', e)));
  await settle(deps, trx, await leaveLine(trx, eventId, expired));
  return expired.length;
}
