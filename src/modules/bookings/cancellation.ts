import { afterCommit, type Tx } from '../../kernel/index.js';
import { ACTIVE, type Booking } from './booking.repository.js';
import type { BookingsDeps } from './bookings.deps.js';
import { applyChange } from './booking-change.service.js';

/**
 * The event was cancelled: every active booking of it is cancelled (holds) or refunded (confirmed),
 * each with its audit row and message, in the consumer's transaction. The money of refunded bookings
 * goes back after the commit.
 */
export async function cancelEventBookings(deps: BookingsDeps, trx: Tx, eventId: string, reason: string): Promise<void> {
  // The event's ledger row first: holds being written for it commit before (and are cancelled here)
  // or wait and then see the event cancelled (bookings.take_seats checks it after the same lock).
  await trx.selectFrom('bookings.ledgers').select('event_id').where('event_id', '=', eventId).forUpdate().execute();
  // Locked in id order: concurrent changes of these bookings wait, then find them changed.
  const bookings = (await trx.selectFrom('bookings.bookings').selectAll().where('event_id', '=', eventId).where('status', 'in', [...ACTIVE]).orderBy('id').forUpdate().execute()) as Booking[];
  const refunded: Booking[] = [];
  for (const b of bookings) {
    const after = await applyChange(deps, trx, b, b.status === 'confirmed' ? 'refunded' : 'cancelled', { actor: { id: null, role: 'system' }, reason: `event cancelled: ${reason}` }, true);
    if (after?.status === 'refunded') refunded.push(after);
  }
  if (!refunded.length) return;
  afterCommit(trx, async () => {
    for (const b of refunded) {
      if (!b.payment_ref) continue;
      await deps.payments.refund(b.payment_ref, { booking_id: b.id, reference: b.reference, amount: b.amount, currency: b.currency })
        .catch((err: unknown) => deps.logger.error({ err, booking_id: b.id }, 'refund after the event\'s cancellation failed'));
    }
  });
}
