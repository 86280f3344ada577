import { randomUUID } from 'node:crypto';
import { Type } from 'typebox';
import type { App } from '../../kernel/index.js';
import { problemOf } from './api.js';
import type { Web } from './web.js';
import { EventPage, HomePage, type SearchQuery } from './views/events.js';
import { NotFoundPage } from './views/errors.js';
import { FormOf, IdParams, type WebForm } from './forms.js';

const PAGE_SIZE = 12;
const HomeQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  category: Type.Optional(Type.String({ maxLength: 50 })),
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
  price_max: Type.Optional(Type.String({ maxLength: 20 })),
  has_seats: Type.Optional(Type.String({ maxLength: 5 })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  done: Type.Optional(Type.String({ maxLength: 40 })),
  // A shared link carries its own parameters (utm_…): they are not the page's to refuse.
}, { additionalProperties: true });

const BookForm = FormOf({ quantity: Type.Integer({ minimum: 1, maximum: 1000 }), idempotency_key: Type.String({ pattern: '^[\\x21-\\x7e]{8,64}$' }) });
const JoinForm = FormOf({ quantity: Type.Integer({ minimum: 1, maximum: 1000 }) });

/** Home (upcoming events, search, filters) and the event page with booking and the waitlist. */
export function publicRoutes(app: App, web: Web, form: WebForm): void {
  app.get('/', { schema: { hide: true, querystring: HomeQuery } }, async (request, reply) => {
    const q = request.query as SearchQuery;
    const page = q.page ?? 1;
    const blank = (s: string | undefined) => (s?.trim() ? s.trim() : undefined);
    const { data, error } = await web.api(request).GET('/api/v1/events', {
      params: {
        query: {
          page, size: PAGE_SIZE, upcoming: true,
          q: blank(q.q), category: blank(q.category)?.toLowerCase(), from: blank(q.from), to: blank(q.to), price_max: blank(q.price_max),
          has_seats: q.has_seats === 'true' ? true : undefined,
          sort: blank(q.q) ? 'relevance' : 'starts_at',
        },
      },
    });
    return web.page(request, reply, (ctx) => (
      <HomePage ctx={ctx} query={q} events={data?.items ?? []} page={page} total={data?.total ?? 0} hasPrev={data?.has_prev ?? false} hasNext={data?.has_next ?? false}
        error={error ? `The search could not run: ${problemOf(error).message}` : undefined} notice={q.done === 'welcome' ? 'Welcome! Your email is verified and you are signed in.' : undefined} />
    ), error ? 400 : 200);
  });

  async function showEvent(request: Parameters<Web['api']>[0], reply: Parameters<Web['page']>[1], id: string, status = 200, error?: string) {
    const session = await web.sessions.load(request, reply);
    const api = web.api(request, session?.user.role === 'admin' ? session : undefined);
    const [event, seats] = await Promise.all([
      api.GET('/api/v1/events/{id}', { params: { path: { id } } }),
      api.GET('/api/v1/availability/events/{event_id}', { params: { path: { event_id: id } } }),
    ]);
    if (!event.data) return web.page(request, reply, NotFoundPage, 404);
    const e = event.data;
    return web.page(request, reply, (ctx) => (
      <EventPage ctx={ctx} e={e} seats={seats.data} url={web.absolute(request, `/events/${e.id}`)} bookingKey={randomUUID()} error={error} />
    ), status);
  }

  app.get('/events/:id', { schema: { hide: true, params: IdParams } }, async (request, reply) => showEvent(request, reply, (request.params as { id: string }).id));

  app.post('/events/:id/book', { schema: { hide: true, params: IdParams, body: BookForm }, preHandler: form.protect }, web.asUser(async (request, reply, session) => {
    const { id } = request.params as { id: string };
    const body = request.body as { quantity: number; idempotency_key: string };
    const { data, error, response } = await web.api(request, session).POST('/api/v1/bookings', {
      params: { header: { 'idempotency-key': body.idempotency_key } },
      body: { event_id: id, quantity: body.quantity },
    });
    if (data) return reply.redirect(`/bookings/${data.id}?done=held`, 303);
    return showEvent(request, reply, id, response.status, problemOf(error).message);
  }));

  app.post('/events/:id/waitlist', { schema: { hide: true, params: IdParams, body: JoinForm }, preHandler: form.protect }, web.asUser(async (request, reply, session) => {
    const { id } = request.params as { id: string };
    const { data, error, response } = await web.api(request, session).POST('/api/v1/waitlist', { body: { event_id: id, quantity: (request.body as { quantity: number }).quantity } });
    if (data) return reply.redirect('/waitlist?done=joined', 303);
    return showEvent(request, reply, id, response.status, problemOf(error).message);
  }));
}
