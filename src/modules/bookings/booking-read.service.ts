import type { Actor } from './actor.js';
import type { Booking } from './booking.repository.js';
import type { BookingsDeps } from './bookings.deps.js';
import type { BookingQuery } from './bookings.schemas.js';
import { visibleBooking } from './booking-change.service.js';

/** The caller's own bookings, newest first (ties by id: pages never repeat or skip one). */
export async function listOwnBookings(deps: BookingsDeps, actor: Actor, q: BookingQuery): Promise<{ items: Booking[]; total: number }> {
  let base = deps.db.selectFrom('bookings.bookings').where('user_id', '=', actor.id);
  if (q.status) base = base.where('status', '=', q.status);
  if (q.event_id) base = base.where('event_id', '=', q.event_id.toLowerCase());
  const [items, count] = await Promise.all([
    base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.size).offset((q.page - 1) * q.size).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: items as Booking[], total: Number(count.n) };
}

/** A booking's audit trail, oldest first: for its owner and admins. */
export async function bookingAudit(deps: BookingsDeps, actor: Actor, id: string) {
  const b = await visibleBooking(deps, actor, id);
  const rows = await deps.db.selectFrom('bookings.audit_log').select(['id', 'action', 'actor_id', 'actor_role', 'before', 'after', 'reason', 'at']).where('booking_id', '=', b.id).orderBy('id').execute();
  return rows.map((r) => ({ ...r, before: r.before as Record<string, unknown> | null, after: r.after as Record<string, unknown>, at: r.at.toISOString() }));
}
