import { BEARER, errorResponses, pageFields, privateScope, type Access, type App } from '../../kernel/index.js';
import { actorOf } from './actor.js';
import { bookingView } from './booking.views.js';
import type { BookingsDeps } from './bookings.deps.js';
import { BookingView } from './bookings.schemas.js';
import { checkWaitlist, entryPosition, entryWithPosition, listEntries, listOwnEntries, withPosition } from './waitlist-read.service.js';
import { AdminWaitlistQuery, CancelEntryBody, EntryPage, EntryParams, EntryView, EventParams, JoinWaitlistBody, PositionView, PriorityBody, WaitlistCheck, WaitlistQuery } from './waitlist.schemas.js';
import { acceptOffer, cancelEntry, joinWaitlist, setPriority } from './waitlist.service.js';
import { entryView, positionView } from './waitlist.views.js';

const security = BEARER;

/** SPEC §5 waitlist of the caller (a scope of its own: every route needs a token, nothing is cached). */
export function waitlistRoutes(app: App, deps: BookingsDeps, access: Access): void {
  const tags = ['waitlist'];
  const base = '/api/v1/waitlist';
  privateScope(app, access.requireAuth);

  app.post(base, {
    schema: {
      tags, summary: 'Join the line of an event that has not the seats you want (one live entry per event)', operationId: 'joinWaitlist', security,
      body: JoinWaitlistBody, response: { 201: EntryView, ...errorResponses(400, 401, 409, 429) },
    },
  }, async (request, reply) => {
    const { entry, position } = await joinWaitlist(deps, actorOf(request), request.body);
    return reply.status(201).send(entryView({ entry, position }));
  });

  app.get(base, {
    schema: { tags, summary: 'Your waitlist entries, newest first (one event: in line order)', operationId: 'listWaitlist', security, querystring: WaitlistQuery, response: { 200: EntryPage, ...errorResponses(400, 401) } },
  }, async (request) => {
    const r = await listOwnEntries(deps, actorOf(request), request.query);
    return { items: r.items.map(entryView), ...pageFields(request.query, r.total) };
  });

  // A fixed path before `{id}`: the router prefers it either way.
  app.get(`${base}/check/:event_id`, {
    schema: { tags, summary: 'Whether you can join the event\'s line, its length, and your entry in it', operationId: 'checkWaitlist', security, params: EventParams, response: { 200: WaitlistCheck, ...errorResponses(400, 401) } },
  }, async (request) => {
    const r = await checkWaitlist(deps, actorOf(request), request.params.event_id);
    return { ...r, entry: r.entry && entryView(r.entry) };
  });

  const one = { params: EntryParams };
  app.get(`${base}/:id`, {
    schema: { tags, summary: 'One of your waitlist entries', operationId: 'getWaitlistEntry', security, ...one, response: { 200: EntryView, ...errorResponses(400, 401, 404) } },
  }, async (request) => entryView(await entryWithPosition(deps, actorOf(request), request.params.id)));

  app.get(`${base}/:id/position`, {
    schema: { tags, summary: 'Your place in line, counted now', operationId: 'getWaitlistPosition', security, ...one, response: { 200: PositionView, ...errorResponses(400, 401, 404) } },
  }, async (request) => positionView(await entryPosition(deps, actorOf(request), request.params.id)));

  app.put(`${base}/:id/cancel`, {
    schema: { tags, summary: 'Leave the line, or decline an offer (its seats pass to the next entry)', operationId: 'cancelWaitlistEntry', security, ...one, body: CancelEntryBody, response: { 200: EntryView, ...errorResponses(400, 401, 404, 409) } },
  }, async (request) => entryView({ entry: await cancelEntry(deps, actorOf(request), request.params.id, request.body?.reason), position: null }));

  app.post(`${base}/:id/book`, {
    schema: {
      tags, summary: 'Accept an offer: its seats become a pending booking (201; 200 when accepted before)', operationId: 'acceptWaitlistOffer', security, ...one,
      response: { 200: BookingView, 201: BookingView, ...errorResponses(400, 401, 404, 409) },
    },
  }, async (request, reply) => {
    const { booking, created } = await acceptOffer(deps, actorOf(request), request.params.id);
    return reply.status(created ? 201 : 200).send(bookingView(booking));
  });
}

/** SPEC §5 admin waitlist routes, in a scope of their own: admins only, uncached. */
export function waitlistAdminRoutes(app: App, deps: BookingsDeps, access: Access): void {
  const tags = ['admin: bookings'];
  const base = '/api/v1/admin/waitlist';
  privateScope(app, access.requireRole('admin'));

  app.get(base, {
    schema: { tags, summary: 'Waitlist entries: one event\'s in line order, with places', operationId: 'adminListWaitlist', security, querystring: AdminWaitlistQuery, response: { 200: EntryPage, ...errorResponses(400, 401, 403) } },
  }, async (request) => {
    const r = await listEntries(deps, request.query);
    return { items: r.items.map(entryView), ...pageFields(request.query, r.total) };
  });

  app.put(`${base}/:id/priority`, {
    schema: { tags, summary: 'Move a waiting entry up or down the line (higher priority goes first)', operationId: 'adminSetWaitlistPriority', security, params: EntryParams, body: PriorityBody, response: { 200: EntryView, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => {
    return entryView(await withPosition(deps, await setPriority(deps, request.params.id, request.body.priority)));
  });
}
