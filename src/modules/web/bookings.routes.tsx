import { Type } from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../kernel/index.js';
import { problemOf } from './api.js';
import { FormOf, IdParams, noticeOf, type WebForm } from './forms.js';
import type { Web } from './web.js';
import type { Session } from './session.js';
import { BookingPage, BookingsPage, WaitlistPage } from './views/bookings.js';
import { NotFoundPage } from './views/errors.js';

const DONE: Record<string, string> = {
  held: 'Your seats are held. Pay before the time runs out to keep them.',
  confirmed: 'Booking confirmed. Your tickets and a calendar file are on their way by email.',
  cancelled: 'Booking cancelled.',
  joined: 'You are on the waitlist. We email you when seats are offered.',
  left: 'Done: you are no longer on that waitlist.',
};
const Done = Type.Object({ done: Type.Optional(Type.String({ maxLength: 40 })), page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }, { additionalProperties: true });
const CancelForm = FormOf({ reason: Type.Optional(Type.String({ maxLength: 500 })) });
const hide = { hide: true } as const;

/** My bookings, a booking with its hold countdown, confirm, cancel; my waitlist, accept, decline. */
export function bookingRoutes(app: App, web: Web, form: WebForm): void {
  const post = { schema: { ...hide, params: IdParams, body: FormOf({}) }, preHandler: form.protect };

  async function showBooking(request: FastifyRequest, reply: FastifyReply, session: Session, id: string, status = 200, error?: string) {
    const { data: b } = await web.api(request, session).GET('/api/v1/bookings/{id}', { params: { path: { id } } });
    if (!b) return web.page(request, reply, NotFoundPage, 404);
    const event = (await web.events(request, session, [b.event_id])).get(b.event_id);
    return web.page(request, reply, (ctx) => <BookingPage ctx={ctx} b={b} event={event} error={error} notice={noticeOf(DONE, request.query)} />, status);
  }

  app.get('/bookings', { schema: { ...hide, querystring: Done } }, web.asUser(async (request, reply, session) => {
    const q = request.query as { done?: string; page?: number };
    const page = q.page ?? 1;
    const { data } = await web.api(request, session).GET('/api/v1/bookings', { params: { query: { page, size: 20 } } });
    const items = data?.items ?? [];
    const events = await web.events(request, session, items.map((b) => b.event_id));
    return web.page(request, reply, (ctx) => (
      <BookingsPage ctx={ctx} bookings={items} events={events} page={page} hasPrev={data?.has_prev ?? false} hasNext={data?.has_next ?? false} notice={noticeOf(DONE, q)} />
    ));
  }));

  app.get('/bookings/:id', { schema: { ...hide, params: IdParams, querystring: Done } }, web.asUser(async (request, reply, session) => {
    return showBooking(request, reply, session, (request.params as { id: string }).id);
  }));

  app.post('/bookings/:id/confirm', post, web.asUser(async (request, reply, session) => {
    const { id } = request.params as { id: string };
    const { error, response } = await web.api(request, session).PUT('/api/v1/bookings/{id}/confirm', { params: { path: { id } } });
    if (!error) return reply.redirect(`/bookings/${id}?done=confirmed`, 303);
    return showBooking(request, reply, session, id, response.status, problemOf(error).message);
  }));

  app.post('/bookings/:id/cancel', { ...post, schema: { ...post.schema, body: CancelForm } }, web.asUser(async (request, reply, session) => {
    const { id } = request.params as { id: string };
    const reason = (request.body as { reason?: string }).reason?.trim();
    const { error, response } = await web.api(request, session).PUT('/api/v1/bookings/{id}/cancel', { params: { path: { id } }, body: reason ? { reason } : {} });
    if (!error) return reply.redirect(`/bookings/${id}?done=cancelled`, 303);
    return showBooking(request, reply, session, id, response.status, problemOf(error).message);
  }));

  async function showWaitlist(request: FastifyRequest, reply: FastifyReply, session: Session, status = 200, error?: string) {
    const { data } = await web.api(request, session).GET('/api/v1/waitlist', { params: { query: { page: 1, size: 50 } } });
    const entries = data?.items ?? [];
    const events = await web.events(request, session, entries.map((w) => w.event_id));
    return web.page(request, reply, (ctx) => <WaitlistPage ctx={ctx} entries={entries} events={events} error={error} notice={noticeOf(DONE, request.query)} />, status);
  }

  app.get('/waitlist', { schema: { ...hide, querystring: Done } }, web.asUser(async (request, reply, session) => {
    return showWaitlist(request, reply, session);
  }));

  app.post('/waitlist/:id/accept', post, web.asUser(async (request, reply, session) => {
    const { id } = request.params as { id: string };
    const { data, error, response } = await web.api(request, session).POST('/api/v1/waitlist/{id}/book', { params: { path: { id } } });
    if (data) return reply.redirect(`/bookings/${data.id}?done=held`, 303);
    return showWaitlist(request, reply, session, response.status, problemOf(error).message);
  }));

  app.post('/waitlist/:id/cancel', post, web.asUser(async (request, reply, session) => {
    const { id } = request.params as { id: string };
    const { error, response } = await web.api(request, session).PUT('/api/v1/waitlist/{id}/cancel', { params: { path: { id } }, body: {} });
    if (!error) return reply.redirect('/waitlist?done=left', 303);
    return showWaitlist(request, reply, session, response.status, problemOf(error).message);
  }));
}
