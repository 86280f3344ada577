import { sql } from 'kysely';
import type { Actor } from './actor.js';
import { applyChange, cancelBooking, visibleBooking } from './booking-change.service.js';
import type { Booking } from './booking.repository.js';
import { bookingsError } from './bookings.errors.js';
import type { BookingsDeps } from './bookings.deps.js';
import type { AdminBookingQuery, AuditQuery } from './bookings.schemas.js';

const page = (q: { page: number; size: number }) => ({ limit: q.size, offset: (q.page - 1) * q.size });

/** Every booking, filtered, newest first (ties by id). */
export async function listBookings(deps: BookingsDeps, q: AdminBookingQuery): Promise<{ items: Booking[]; total: number }> {
  let base = deps.db.selectFrom('bookings.bookings');
  if (q.event_id) base = base.where('event_id', '=', q.event_id.toLowerCase());
  if (q.user_id) base = base.where('user_id', '=', q.user_id.toLowerCase());
  if (q.status) base = base.where('status', '=', q.status);
  if (q.reference) base = base.where('reference', '=', q.reference.toUpperCase());
  const { limit, offset } = page(q);
  const [items, count] = await Promise.all([
    base.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: items as Booking[], total: Number(count.n) };
}

/** Bookings and seats by status, and revenue (confirmed, net of refunds) per currency; one event or all. */
export async function bookingStats(deps: BookingsDeps, eventId?: string) {
  let q = deps.db.selectFrom('bookings.bookings').select(['status', 'currency', sql<number>`count(*)::int`.as('bookings'), sql<number>`sum(quantity)::int`.as('seats'), sql<string>`sum(amount)::text`.as('amount')]).groupBy(['status', 'currency']);
  if (eventId) q = q.where('event_id', '=', eventId.toLowerCase());
  const rows = await q.execute();
  const byStatus: Record<string, { bookings: number; seats: number }> = {};
  const revenue: Record<string, string> = {};
  for (const r of rows) {
    const s = (byStatus[r.status] ??= { bookings: 0, seats: 0 });
    s.bookings += r.bookings;
    s.seats += r.seats;
    // One row per (status, currency): the database's exact sum, never a float.
    if (r.status === 'confirmed') revenue[r.currency] = r.amount;
  }
  return { event_id: eventId ?? null, by_status: byStatus, revenue };
}

/** An admin records a payment taken by hand (the hold must still be live). */
export async function adminConfirm(deps: BookingsDeps, actor: Actor, id: string): Promise<Booking> {
  const b = await visibleBooking(deps, actor, id);
  if (b.status === 'confirmed') return b;
  if (b.status !== 'pending') throw bookingsError('BOOKING_STATE_CONFLICT', `a ${b.status} booking cannot be confirmed`);
  const after = await deps.transaction((trx) => applyChange(deps, trx, b, 'confirmed', { actor, request: actor.request, paymentRef: `manual:${actor.id}` }));
  if (!after) throw bookingsError('HOLD_EXPIRED', 'the hold expired or changed meanwhile');
  return after;
}

/** An admin refunds a confirmed booking, whatever the cut-off. */
export async function adminRefund(deps: BookingsDeps, actor: Actor, id: string, reason?: string): Promise<Booking> {
  const b = await visibleBooking(deps, actor, id);
  if (b.status !== 'confirmed') throw bookingsError('BOOKING_STATE_CONFLICT', `only a confirmed booking is refunded; this one is ${b.status}`);
  return cancelBooking(deps, actor, id, reason);
}


/** The audit log, filtered, newest first. */
export async function auditLog(deps: BookingsDeps, q: AuditQuery) {
  let base = deps.db.selectFrom('bookings.audit_log');
  if (q.booking_id) base = base.where('booking_id', '=', q.booking_id.toLowerCase());
  if (q.event_id) base = base.where('event_id', '=', q.event_id.toLowerCase());
  if (q.actor_id) base = base.where('actor_id', '=', q.actor_id.toLowerCase());
  if (q.action) base = base.where('action', '=', q.action);
  if (q.from) base = base.where('at', '>=', new Date(q.from));
  if (q.to) base = base.where('at', '<', new Date(q.to));
  const { limit, offset } = page(q);
  const [rows, count] = await Promise.all([
    base.selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(limit).offset(offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return {
    items: rows.map((r) => ({ ...r, before: r.before as Record<string, unknown> | null, after: r.after as Record<string, unknown>, at: r.at.toISOString() })),
    total: Number(count.n),
  };
}
