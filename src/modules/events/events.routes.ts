import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, BEARER, PUBLIC, errorResponses, type Access, type App } from '../../kernel/index.js';
import * as catalogue from './catalogue.service.js';
import type { Rendered } from './catalogue.cache.js';
import { sendRendered } from './conditional.js';
import type { EventsDeps } from './events.deps.js';
import { Capacity, EventPage, EventParams, EventView, ListQuery, UpcomingQuery } from './events.schemas.js';

const tags = ['events'];
/** The catalogue is public; a token is optional, and an admin's shows drafts and every status. */
const OPTIONAL_BEARER = [...PUBLIC, {}, ...BEARER];

/** SPEC §4 public browse: no token needed. */
export function eventsRoutes(app: App, deps: EventsDeps, access: Access): void {
  const maxAge = deps.config.httpMaxAgeSeconds;
  // A token is checked when given (a bad one is refused, not ignored): it decides what is shown.
  const optionalAuth = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.headers.authorization) await access.requireAuth(request, reply);
  };
  const viewerOf = (request: FastifyRequest): catalogue.Viewer => (request.auth?.role === 'admin' ? 'admin' : 'public');
  const send = (request: FastifyRequest, reply: FastifyReply, r: Rendered | null, policy: string) => {
    if (!r) throw new AppError('NOT_FOUND', 'no such event');
    return sendRendered(request, reply, r, viewerOf(request) === 'admin' ? 'private, no-store' : policy);
  };
  const browse = `public, max-age=${maxAge}`;

  app.get('/api/v1/events', {
    preHandler: optionalAuth,
    schema: {
      tags,
      summary: 'Browse events: filters, full-text search, sorting, pages',
      operationId: 'listEvents',
      security: OPTIONAL_BEARER,
      querystring: ListQuery,
      response: { 200: EventPage, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => send(request, reply, await catalogue.eventList(deps, request.query, viewerOf(request)), browse));

  app.get('/api/v1/events/upcoming', {
    schema: {
      tags,
      summary: 'Published events that have not started, soonest first',
      operationId: 'listUpcomingEvents',
      security: PUBLIC,
      querystring: UpcomingQuery,
      response: { 200: EventPage, ...errorResponses(400) },
    },
  }, async (request, reply) => send(request, reply, await catalogue.upcomingEvents(deps, request.query), browse));

  app.get('/api/v1/events/:id', {
    preHandler: optionalAuth,
    schema: { tags, summary: 'One event', operationId: 'getEvent', security: OPTIONAL_BEARER, params: EventParams, response: { 200: EventView, ...errorResponses(400, 401, 404) } },
  }, async (request, reply) => send(request, reply, await catalogue.eventDetail(deps, request.params.id, viewerOf(request)), browse));

  app.get('/api/v1/events/:id/capacity', {
    preHandler: optionalAuth,
    schema: { tags, summary: 'Seats of an event: capacity and available', operationId: 'getEventCapacity', security: OPTIONAL_BEARER, params: EventParams, response: { 200: Capacity, ...errorResponses(400, 401, 404) } },
    // Seats move fast during a sale: clients revalidate every time (a 304 costs little).
  }, async (request, reply) => send(request, reply, await catalogue.eventCapacity(deps, request.params.id, viewerOf(request)), 'public, no-cache'));
}
