import { Type } from 'typebox';
import { BEARER, errorResponses, pageFields, privateScope, type Access, type App } from '../../kernel/index.js';
import { actorOf } from './actor.js';
import { adminConfirm, adminRefund, auditLog, bookingStats, listBookings } from './booking-admin.service.js';
import { cancelBooking, visibleBooking } from './booking-change.service.js';
import { bookingView } from './booking.views.js';
import type { BookingsDeps } from './bookings.deps.js';
import { sweep } from './expiry.task.js';
import { AdminBookingQuery, AuditPage, AuditQuery, BookingPage, BookingParams, BookingStats, BookingView, CancelBookingBody, ExpireResult, StatsQuery } from './bookings.schemas.js';

const tags = ['admin: bookings'];
const security = BEARER;

/** SPEC §5 admin routes. Register in a scope of their own: its hooks make every route admins-only and uncached. */
export function bookingsAdminRoutes(app: App, deps: BookingsDeps, access: Access): void {
  const base = '/api/v1/admin/bookings';
  privateScope(app, access.requireRole('admin'));

  app.get(base, {
    schema: { tags, summary: 'Every booking: filters by event, user, status, reference', operationId: 'adminListBookings', security, querystring: AdminBookingQuery, response: { 200: BookingPage, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const q = request.query;
    const { items, total } = await listBookings(deps, q);
    return { items: items.map(bookingView), ...pageFields(q, total) };
  });

  // A fixed path: the router prefers it to `{id}` (the original's order made it unreachable).
  app.get(`${base}/stats`, {
    schema: { tags, summary: 'Bookings and seats by status, revenue per currency (one event or all)', operationId: 'adminBookingStats', security, querystring: StatsQuery, response: { 200: BookingStats, ...errorResponses(400, 401, 403) } },
  }, async (request) => bookingStats(deps, request.query.event_id));

  app.post(`${base}/expire`, {
    schema: { tags, summary: 'Release every expired hold and waitlist offer now, and send the refunds still due', operationId: 'adminExpireHolds', security, response: { 200: ExpireResult, ...errorResponses(401, 403) } },
  }, async () => {
    const done = await sweep(deps);
    return { expired: done.holds, offers_expired: done.offers, refunds_sent: done.refunds };
  });

  const one = { params: BookingParams };
  app.get(`${base}/:id`, {
    schema: { tags, summary: 'Any booking', operationId: 'adminGetBooking', security, ...one, response: { 200: BookingView, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => bookingView(await visibleBooking(deps, actorOf(request), request.params.id)));

  app.put(`${base}/:id/confirm`, {
    schema: { tags, summary: 'Record a payment taken by hand for a live hold', operationId: 'adminConfirmBooking', security, ...one, response: { 200: BookingView, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => bookingView(await adminConfirm(deps, actorOf(request), request.params.id)));

  app.put(`${base}/:id/refund`, {
    schema: { tags, summary: 'Refund a confirmed booking (no cut-off for admins)', operationId: 'adminRefundBooking', security, ...one, body: CancelBookingBody, response: { 200: BookingView, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => bookingView(await adminRefund(deps, actorOf(request), request.params.id, request.body?.reason)));

  app.put(`${base}/:id/cancel`, {
    schema: { tags, summary: 'Cancel any booking: a hold is released, a confirmed one refunded', operationId: 'adminCancelBooking', security, ...one, body: CancelBookingBody, response: { 200: BookingView, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => bookingView(await cancelBooking(deps, actorOf(request), request.params.id, request.body?.reason)));

  app.get('/api/v1/admin/audit-logs', {
    schema: { tags, summary: 'The bookings audit log: filters by booking, event, actor, action, time', operationId: 'adminAuditLogs', security, querystring: AuditQuery, response: { 200: AuditPage, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const { items, total } = await auditLog(deps, request.query);
    return { items, ...pageFields(request.query, total) };
  });

  app.get('/api/v1/availability/stats', {
    schema: { tags: ['availability'], summary: 'Seats of every event on sale, as the ledgers count them', operationId: 'availabilityStats', security, response: { 200: Type.Object({ events: Type.Integer(), total: Type.Integer(), available: Type.Integer(), held: Type.Integer(), confirmed: Type.Integer() }), ...errorResponses(401, 403) } },
  }, async () => {
    const row = await deps.db.selectFrom('bookings.ledgers as l').innerJoin('bookings.events as e', 'e.event_id', 'l.event_id').where('e.status', '=', 'published')
      .select((eb) => [eb.fn.countAll<number>().as('events'), eb.fn.coalesce(eb.fn.sum<number>('l.total'), eb.lit(0)).as('total'), eb.fn.coalesce(eb.fn.sum<number>('l.available'), eb.lit(0)).as('available'),
        eb.fn.coalesce(eb.fn.sum<number>('l.held'), eb.lit(0)).as('held'), eb.fn.coalesce(eb.fn.sum<number>('l.confirmed'), eb.lit(0)).as('confirmed')])
      .executeTakeFirstOrThrow();
    return { events: Number(row.events), total: Number(row.total), available: Number(row.available), held: Number(row.held), confirmed: Number(row.confirmed) };
  });
}
