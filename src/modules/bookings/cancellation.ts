import { sql } from 'kysely';
import { afterCommit, type Tx } from '../../kernel/index.js';
import { ACTIVE, type Booking } from './booking.repository.js';
import type { BookingsDeps } from './bookings.deps.js';
import { applyChange, sendRefundsQuietly } from './booking-change.service.js';
import { lockLedger } from './ledger.repository.js';
import { leaveLine, settle } from './line.js';
import { waitlistMessage } from './waitlist.events.js';
import { LIVE, type Entry } from './waitlist.repository.js';

/**
 * The event was cancelled: its waitlist is cancelled (offers give their seats back), and every
 * active booking of it is cancelled (holds) or refunded (confirmed), each with its audit row and
 * message, in the consumer's transaction. The money of refunded bookings
 * goes back after the commit.
 */
export async function cancelEventBookings(deps: BookingsDeps, trx: Tx, eventId: string, reason: string): Promise<void> {
  // The event's ledger row first: holds being written for it commit before (and are cancelled here)
  // or wait and then see the event cancelled (bookings.take_seats checks it after the same lock).
  const ledger = await lockLedger(trx, eventId);
  const why = `event cancelled: ${reason}`.slice(0, 500);
  // Then its line, before its bookings: an offer being accepted meanwhile commits its booking first
  // (found below) or finds its entry cancelled.
  const entries = (await trx
    .updateTable('bookings.waitlist')
    .set({ status: 'cancelled', reason: why, version: sql`version + 1`, updated_at: sql`now()` })
    .where('event_id', '=', eventId)
    .where('status', 'in', [...LIVE])
    .returningAll()
    .execute()) as Entry[];
  if (ledger && entries.length) {
    await deps.outbox.add(trx, ...entries.map((e) => waitlistMessage('bookings.waitlist.cancelled', e, null, 'event_cancelled')));
    await settle(deps, trx, await leaveLine(trx, eventId, entries));
  }
  // Locked in id order: concurrent changes of these bookings wait, then find them changed.
  const bookings = (await trx.selectFrom('bookings.bookings').selectAll().where('event_id', '=', eventId).where('status', 'in', [...ACTIVE]).orderBy('id').forUpdate().execute()) as Booking[];
  const refunded: Booking[] = [];
  for (const b of bookings) {
    const after = await applyChange(deps, trx, b, b.status === 'confirmed' ? 'refunded' : 'cancelled', { actor: { id: null, role: 'system' }, reason: why }, true);
    if (after?.status === 'refunded') refunded.push(after);
  }
  if (!refunded.length) return;
  afterCommit(trx, () => sendRefundsQuietly(deps, refunded.flatMap((b) => (b.payment_ref ? [b.payment_ref] : []))));
}
