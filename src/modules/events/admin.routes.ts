import { Type } from 'typebox';
import { BEARER, errorResponses, privateScope, type Access, type App } from '../../kernel/index.js';
import * as admin from './event-admin.service.js';
import type { EventRecord } from './event.repository.js';
import { eventView } from './event.views.js';
import type { EventsDeps } from './events.deps.js';
import { CancelBody, EventBody, EventParams, EventPatch, EventView } from './events.schemas.js';

const tags = ['admin: events'];
const security = BEARER;
const view = (e: EventRecord) => eventView(e, new Date(), true);

/** SPEC §4 admin routes: the catalogue's lifecycle. Register in a scope of their own: its hooks make every route admins-only. */
export function eventsAdminRoutes(app: App, deps: EventsDeps, access: Access): void {
  const base = '/api/v1/admin/events';
  privateScope(app, access.requireRole('admin'));

  app.post(base, {
    schema: { tags, summary: 'Create an event (a draft)', operationId: 'createEvent', security, body: EventBody, response: { 201: EventView, ...errorResponses(400, 401, 403) } },
  }, async (request, reply) => reply.status(201).send(view(await admin.createEvent(deps, request.auth!.userId, request.body))));

  app.put(`${base}/:id`, {
    schema: {
      tags,
      summary: 'Replace an event (what is left out goes back to its default)',
      operationId: 'replaceEvent',
      security,
      params: EventParams,
      body: EventBody,
      response: { 200: EventView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => view(await admin.editEvent(deps, request.params.id, { replace: request.body })));

  app.patch(`${base}/:id`, {
    schema: { tags, summary: 'Change some fields of an event', operationId: 'updateEvent', security, params: EventParams, body: EventPatch, response: { 200: EventView, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => view(await admin.editEvent(deps, request.params.id, { patch: request.body })));

  app.post(`${base}/:id/publish`, {
    schema: { tags, summary: 'Publish a draft', operationId: 'publishEvent', security, params: EventParams, response: { 200: EventView, ...errorResponses(400, 401, 403, 404, 409) } },
  }, async (request) => view(await admin.publishEvent(deps, request.params.id)));

  app.post(`${base}/:id/cancel`, {
    schema: {
      tags,
      summary: 'Cancel a published event (its bookings are cancelled and refunded, attendees mailed)',
      operationId: 'cancelEvent',
      security,
      params: EventParams,
      body: CancelBody,
      response: { 200: EventView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => view(await admin.cancelEvent(deps, request.params.id, request.body.reason)));

  app.delete(`${base}/:id`, {
    schema: {
      tags,
      summary: 'Delete a draft, or an event that never sold (otherwise 409: cancel it)',
      operationId: 'deleteEvent',
      security,
      params: EventParams,
      response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request, reply) => {
    await admin.removeEvent(deps, request.params.id);
    return reply.status(204).send(null);
  });
}
