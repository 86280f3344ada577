import { Type } from 'typebox';
import { AppError, BEARER, PUBLIC, errorResponses, pageFields, privateScope, type Access, type App } from '../../kernel/index.js';
import { actorOf } from './actor.js';
import { createBooking } from './booking-create.service.js';
import { cancelBooking, confirmBooking, visibleBooking } from './booking-change.service.js';
import { bookingAudit, listOwnBookings } from './booking-read.service.js';
import { bookingView, statusView } from './booking.views.js';
import type { BookingsDeps } from './bookings.deps.js';
import {
  AuditEntryView, Availability, BookingPage, BookingParams, BookingQuery, BookingStatusView, BookingView, CancelBookingBody,
  CheckQuery, CheckView, CreateBookingBody, EventParams, IdempotencyHeaders, StreamHeaders,
} from './bookings.schemas.js';
import { findLedger, forSale, type Ledger } from './ledger.repository.js';
import type { LiveClient, LiveHub } from './live.js';

/** The seats as GET /availability/events/{id} and its stream show them. */
function availabilityView(l: Ledger) {
  return { event_id: l.event_id, total: l.total, available: forSale(l), held: l.held, confirmed: l.confirmed, waiting: l.waiting, sold_out: forSale(l) === 0, version: l.version };
}

const security = BEARER;

/** SPEC §5 bookings of the caller (a scope of its own: every route needs a token, nothing is cached). */
export function bookingRoutes(app: App, deps: BookingsDeps, access: Access): void {
  const tags = ['bookings'];
  const base = '/api/v1/bookings';
  privateScope(app, access.requireAuth);

  app.post(base, {
    schema: {
      tags, summary: 'Hold seats: a pending booking until expires_at', operationId: 'createBooking', security,
      headers: IdempotencyHeaders, body: CreateBookingBody,
      response: { 201: BookingView, ...errorResponses(400, 401, 409, 422, 429, 503) },
    },
  }, async (request, reply) => {
    const { booking } = await createBooking(deps, actorOf(request), request.body, request.headers['idempotency-key']);
    return reply.status(201).send(bookingView(booking));
  });

  app.get(base, {
    schema: { tags, summary: 'Your bookings, newest first', operationId: 'listBookings', security, querystring: BookingQuery, response: { 200: BookingPage, ...errorResponses(400, 401) } },
  }, async (request) => {
    const q = request.query;
    const { items, total } = await listOwnBookings(deps, actorOf(request), q);
    return { items: items.map(bookingView), ...pageFields(q, total) };
  });

  const one = { params: BookingParams };
  app.get(`${base}/:id`, {
    schema: { tags, summary: 'One of your bookings', operationId: 'getBooking', security, ...one, response: { 200: BookingView, ...errorResponses(400, 401, 404) } },
  }, async (request) => bookingView(await visibleBooking(deps, actorOf(request), request.params.id)));

  app.get(`${base}/:id/status`, {
    schema: { tags, summary: 'Status of one of your bookings, with the seconds its hold has left', operationId: 'getBookingStatus', security, ...one, response: { 200: BookingStatusView, ...errorResponses(400, 401, 404) } },
  }, async (request) => statusView(await visibleBooking(deps, actorOf(request), request.params.id)));

  app.get(`${base}/:id/audit`, {
    schema: { tags, summary: 'Every change of one of your bookings', operationId: 'getBookingAudit', security, ...one, response: { 200: Type.Array(AuditEntryView), ...errorResponses(400, 401, 404) } },
  }, async (request) => bookingAudit(deps, actorOf(request), request.params.id));

  app.put(`${base}/:id/confirm`, {
    schema: { tags, summary: 'Pay for a hold (the configured payment provider)', operationId: 'confirmBooking', security, ...one, response: { 200: BookingView, ...errorResponses(400, 401, 402, 404, 409) } },
  }, async (request) => bookingView(await confirmBooking(deps, actorOf(request), request.params.id)));

  app.put(`${base}/:id/cancel`, {
    schema: { tags, summary: 'Cancel: a hold is released, a confirmed booking refunded (until the cut-off)', operationId: 'cancelBooking', security, ...one, body: CancelBookingBody, response: { 200: BookingView, ...errorResponses(400, 401, 404, 409) } },
  }, async (request) => bookingView(await cancelBooking(deps, actorOf(request), request.params.id, request.body?.reason)));
}

/** SPEC §5 availability: public, read-only (the original reserved seats with GETs; nothing here does). */
export function availabilityRoutes(app: App, deps: BookingsDeps, live: LiveHub): void {
  const tags = ['availability'];
  const base = '/api/v1/availability/events/:event_id';
  const ledgerOf = async (eventId: string) => {
    const ledger = await findLedger(deps.db, eventId.toLowerCase());
    if (!ledger) throw new AppError('NOT_FOUND', 'no such event');
    return ledger;
  };

  app.get(base, {
    schema: { tags, summary: 'Seats of an event as the ledger counts them', operationId: 'getAvailability', security: PUBLIC, params: EventParams, response: { 200: Availability, ...errorResponses(400, 404) } },
  }, async (request, reply) => {
    const l = await ledgerOf(request.params.event_id);
    void reply.header('cache-control', 'no-cache');
    return availabilityView(l);
  });

  // The server waits for open responses when it closes: the streams end first.
  app.addHook('preClose', async () => live.close());
  app.get(`${base}/stream`, {
    schema: {
      tags, summary: 'Server-Sent Events of the seats: each ledger change (id: its version); Last-Event-ID resumes', operationId: 'streamAvailability', security: PUBLIC,
      params: EventParams, headers: StreamHeaders,
      response: { 200: { description: 'text/event-stream of `availability` events, each the body of GET /availability/events/{event_id}', content: { 'text/event-stream': { schema: Type.String() } } }, ...errorResponses(400, 404, 503) },
    },
  }, async (request, reply) => {
    const l = await ledgerOf(request.params.event_id);
    if (live.full()) throw new AppError('OVERLOADED', 'too many live streams on this server; try again shortly', { headers: { 'retry-after': '5' } });
    const headers = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' };
    // HEAD (which Fastify answers with this handler) gets the headers, not a stream that never ends.
    if (request.method === 'HEAD') return reply.headers(headers).send('');
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), ...headers, connection: 'keep-alive' });
    res.write('retry: 2000\n\n');
    // A client gone between two writes: nothing to send, and no error to raise.
    const write = (text: string) => void (res.writableEnded || res.destroyed || res.write(text));
    res.on('error', () => undefined);
    const client: LiveClient = {
      last: Number(request.headers['last-event-id'] ?? 0),
      send: (ledger) => write(`id: ${ledger.version}\nevent: availability\ndata: ${JSON.stringify(availabilityView(ledger))}\n\n`),
      end: () => void res.end(),
    };
    const leave = live.join(l.event_id, client);
    // What the client has not seen yet (all of it, without Last-Event-ID); then every change.
    if (l.version > client.last) {
      client.last = l.version;
      client.send(l);
    }
    const beat = setInterval(() => write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(beat);
      leave();
    });
  });

  app.get(`${base}/check`, {
    schema: { tags, summary: 'Whether that many seats can be held now', operationId: 'checkAvailability', security: PUBLIC, params: EventParams, querystring: CheckQuery, response: { 200: CheckView, ...errorResponses(400, 404) } },
  }, async (request, reply) => {
    const l = await ledgerOf(request.params.event_id);
    const event = await deps.db.selectFrom('bookings.events').select(['status', 'starts_at', 'max_per_booking']).where('event_id', '=', l.event_id).executeTakeFirst();
    const onSale = event?.status === 'published' && event.starts_at > new Date() && request.query.quantity <= event.max_per_booking;
    void reply.header('cache-control', 'no-cache');
    return { event_id: l.event_id, quantity: request.query.quantity, bookable: onSale && forSale(l) >= request.query.quantity, available: forSale(l) };
  });
}
