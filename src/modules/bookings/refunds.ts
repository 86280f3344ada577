import { sql } from 'kysely';
import type { Tx } from '../../kernel/index.js';
import type { Booking } from './booking.repository.js';
import type { BookingsDeps } from './bookings.deps.js';

/** How long a claimed refund is left to the process that claimed it before another may retry it. */
const LEASE_S = 60;
/** Back-off after the n-th failed attempt: 5 s, 10 s, 20 s … at most an hour. */
const backoffS = (attempts: number) => Math.min(3_600, 5 * 2 ** Math.max(0, attempts - 1));

/** Records in `trx` that the booking's payment is owed back (once per payment, whoever asks again). */
export async function oweRefund(trx: Tx, b: Pick<Booking, 'id' | 'reference' | 'amount' | 'currency'> & { payment_ref: string }): Promise<void> {
  await trx
    .insertInto('bookings.refunds')
    .values({ payment_ref: b.payment_ref, booking_id: b.id, reference: b.reference, amount: b.amount, currency: b.currency })
    .onConflict((oc) => oc.column('payment_ref').doNothing())
    .execute();
}

/**
 * Sends refunds that are due: those of `paymentRefs` (right after the commit that owed them), or
 * any due (the sweep). Each is claimed first (SKIP LOCKED, and a lease), so replicas never send one
 * at once; the provider is called outside any transaction and must treat a repeated refund of a
 * payment as one (a process may die after the provider took it and before it was marked sent).
 * Returns how many were sent.
 */
export async function sendRefunds(deps: Pick<BookingsDeps, 'db' | 'payments' | 'logger'>, paymentRefs?: string[], limit = 100): Promise<number> {
  if (paymentRefs && !paymentRefs.length) return 0;
  let due = deps.db.selectFrom('bookings.refunds').select('payment_ref').where('state', '=', 'due').where('next_at', '<=', sql<Date>`now()`);
  if (paymentRefs) due = due.where('payment_ref', 'in', paymentRefs);
  const claimed = await deps.db
    .updateTable('bookings.refunds')
    .set({ next_at: sql`now() + ${LEASE_S} * interval '1 second'`, attempts: sql`attempts + 1` })
    .where('payment_ref', 'in', due.orderBy('next_at').limit(limit).forUpdate().skipLocked())
    .returningAll()
    .execute();
  let sent = 0;
  for (const r of claimed) {
    try {
      await deps.payments.refund(r.payment_ref, { booking_id: r.booking_id, reference: r.reference, amount: r.amount, currency: r.currency });
      await deps.db.updateTable('bookings.refunds').set({ state: 'sent', sent_at: sql`now()`, last_error: null }).where('payment_ref', '=', r.payment_ref).execute();
      sent++;
    } catch (err) {
      const retryS = backoffS(r.attempts);
      deps.logger.error({ err, booking_id: r.booking_id, payment_ref: r.payment_ref, attempts: r.attempts, retry_in_s: retryS }, 'refund failed: retried later');
      await deps.db.updateTable('bookings.refunds')
        .set({ next_at: sql`now() + ${retryS} * interval '1 second'`, last_error: String((err as Error)?.message ?? err).slice(0, 500) })
        .where('payment_ref', '=', r.payment_ref)
        .execute();
    }
  }
  return sent;
}
