import type { Actor } from './actor.js';
import type { Booking } from './booking.repository.js';
import { listBookings } from './booking-admin.service.js';
import type { BookingsDeps } from './bookings.deps.js';
import type { BookingQuery } from './bookings.schemas.js';
import { visibleBooking } from './booking-change.service.js';

/** The caller's own bookings, newest first (ties by id: pages never repeat or skip one). */
export function listOwnBookings(deps: BookingsDeps, actor: Actor, q: BookingQuery): Promise<{ items: Booking[]; total: number }> {
  return listBookings(deps, { ...q, user_id: actor.id });
}

/** A booking's audit trail, oldest first: for its owner and admins. */
export async function bookingAudit(deps: BookingsDeps, actor: Actor, id: string) {
  const b = await visibleBooking(deps, actor, id);
  const rows = await deps.db.selectFrom('bookings.audit_log').select(['id', 'action', 'actor_id', 'actor_role', 'before', 'after', 'reason', 'at']).where('booking_id', '=', b.id).orderBy('id').execute();
  return rows.map((r) => ({ ...r, before: r.before as Record<string, unknown> | null, after: r.after as Record<string, unknown>, at: r.at.toISOString() }));
}
