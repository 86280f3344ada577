import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static } from 'typebox';
import type { App } from '../../kernel/index.js';
import { detailedProblem, problemOf } from './api.js';
import { FormOf, IdParams, noticeOf, type WebForm } from './forms.js';
import type { Session } from './session.js';
import type { Web } from './web.js';
import { AdminBookingsPage, AdminUsersPage, AdminWaitlistPage, AuditPage } from './views/admin.js';
import { DashboardPage, type ExportTable } from './views/admin-dashboard.js';
import { AdminEventsPage, EventAdminPage, NEW_EVENT, NewEventPage, formValuesOf, type EventFormValues } from './views/admin-events.js';
import { BadRequestPage, NotFoundPage, ServerErrorPage } from './views/errors.js';
import {
  AuditQuery, BookingsQuery, CancelForm, EventForm, EventsQuery, ExportParams, ExportQuery, PriorityForm, UserForm, UsersQuery, WaitlistQuery,
  blank, eventBody, filtersOf, pagingOf, query, search, utcDay, type Params,
} from './admin.forms.js';

const PAGE_SIZE = 20;
/** How far back the dashboard's charts and the CSV downloads look. */
const DAYS = 30;
const hide = { hide: true } as const;

const DONE: Record<string, string> = {
  created: 'Event created as a draft. Publish it when it is ready to go on sale.',
  updated: 'Changes saved.',
  published: 'Event published: it is on sale now.',
  cancelled: 'Event cancelled. Its bookings are being cancelled and refunded, and the attendees told.',
  priority: 'Priority saved: the line is in its new order.',
  activated: 'User activated: they can sign in again.',
  deactivated: 'User deactivated and signed out everywhere.',
};

/** The organiser's pages (SPEC §9): dashboard, events, bookings and audit log, waitlists, users. */
export function adminRoutes(app: App, web: Web, form: WebForm): void {
  const post = <B, P>(body: B, params?: P) => ({ schema: { ...hide, body, ...(params ? { params } : {}) }, preHandler: form.protect });

  /** Usernames of the users these rows name, each asked once: ids alone do not tell people apart at a glance. */
  async function people(request: FastifyRequest, session: Session, ids: string[]): Promise<Map<string, string>> {
    const api = web.api(request, session);
    const found = await Promise.all([...new Set(ids)].map(async (id) => [id, (await api.GET('/api/v1/admin/users/{id}', { params: { path: { id } } })).data?.username] as const));
    return new Map(found.flatMap(([id, name]) => (name ? [[id, name] as const] : [])));
  }

  app.get('/admin', { schema: hide }, web.asAdmin(async (request, reply, session) => {
    const api = web.api(request, session);
    const [dashboard, trends, revenue, capacity, top] = await Promise.all([
      api.GET('/api/v1/analytics/dashboard'),
      api.GET('/api/v1/analytics/booking-trends', { params: { query: { days: DAYS } } }),
      api.GET('/api/v1/analytics/revenue', { params: { query: { days: DAYS } } }),
      api.GET('/api/v1/analytics/capacity-utilization', { params: { query: { page: 1, size: 10 } } }),
      api.GET('/api/v1/analytics/top-events', { params: { query: { sort_by: 'bookings', limit: 10 } } }),
    ]);
    const failed = [dashboard, trends, revenue, capacity, top].find((r) => r.error);
    const data = { days: DAYS, dashboard: dashboard.data, trends: trends.data, revenue: revenue.data, capacity: capacity.data, top: top.data };
    const error = failed && `Some numbers could not be read: ${problemOf(failed.error).message}`;
    return web.page(request, reply, (ctx) => <DashboardPage ctx={ctx} data={data} error={error} />, failed ? failed.response.status : 200);
  }));

  app.get('/admin/export/:table', { schema: { ...hide, params: ExportParams, querystring: ExportQuery } }, web.asAdmin(async (request, reply, session) => {
    const { table } = request.params as { table: ExportTable };
    const days = (request.query as { days?: number }).days ?? DAYS;
    const { data, error, response } = await web.api(request, session).GET('/api/v1/analytics/export/{table}', { params: { path: { table }, query: { days } }, parseAs: 'text' });
    if (error || !response.ok) {
      return web.page(request, reply, response.status >= 500 ? ServerErrorPage(request.id) : BadRequestPage(problemOf(error).message), response.status);
    }
    return reply
      .header('content-type', response.headers.get('content-type') ?? 'text/csv; charset=utf-8')
      .header('content-disposition', response.headers.get('content-disposition') ?? `attachment; filename="evently-${table}.csv"`)
      .header('cache-control', 'no-store')
      .send(data ?? ''); // a report with no rows is an empty file, not an error
  }));

  // --- Events ---

  app.get('/admin/events', { schema: { ...hide, querystring: EventsQuery } }, web.asAdmin(async (request, reply, session) => {
    const q = request.query as Static<typeof EventsQuery>;
    const page = q.page ?? 1;
    const words = blank(q.q);
    const { data, error, response } = await web.api(request, session).GET('/api/v1/events', {
      params: { query: { page, size: PAGE_SIZE, q: words, status: q.status ? [q.status] : undefined, sort: words ? 'relevance' : '-created_at' } },
    });
    return web.page(request, reply, (ctx) => (
      <AdminEventsPage ctx={ctx} query={filtersOf(q, ['q', 'status'])} events={data?.items ?? []} total={data?.total ?? 0} paging={pagingOf(page, data)}
        error={error && `The search could not run: ${detailedProblem(error)}`} />
    ), error ? response.status : 200);
  }));

  app.get('/admin/events/new', { schema: hide }, web.asAdmin(async (request, reply) => {
    return web.page(request, reply, (ctx) => <NewEventPage ctx={ctx} values={NEW_EVENT} />);
  }));

  app.post('/admin/events/new', post(EventForm), web.asAdmin(async (request, reply, session) => {
    const f = request.body as EventFormValues;
    const input = eventBody(f);
    if ('error' in input) return web.page(request, reply, (ctx) => <NewEventPage ctx={ctx} values={f} error={input.error} />, 400);
    const { data, error, response } = await web.api(request, session).POST('/api/v1/admin/events', { body: input.body });
    if (data) return reply.redirect(`/admin/events/${data.id}?done=created`, 303);
    return web.page(request, reply, (ctx) => <NewEventPage ctx={ctx} values={f} error={detailedProblem(error)} />, response.status);
  }));

  async function showEvent(request: FastifyRequest, reply: FastifyReply, session: Session, id: string, o: { status?: number; error?: string; values?: EventFormValues } = {}) {
    const api = web.api(request, session);
    const page = (request.query as { page?: number } | undefined)?.page ?? 1;
    const [event, bookings] = await Promise.all([
      api.GET('/api/v1/events/{id}', { params: { path: { id } } }),
      api.GET('/api/v1/admin/bookings', { params: { query: { event_id: id, page, size: PAGE_SIZE } } }),
    ]);
    if (!event.data) return web.page(request, reply, NotFoundPage, 404);
    const e = event.data;
    const names = await people(request, session, (bookings.data?.items ?? []).map((b) => b.user_id));
    const error = o.error ?? (bookings.error ? `Its bookings could not be read: ${problemOf(bookings.error).message}` : undefined);
    return web.page(request, reply, (ctx) => (
      <EventAdminPage ctx={ctx} e={e} values={o.values ?? formValuesOf(e)} bookings={bookings.data?.items ?? []} people={names} bookingsTotal={bookings.data?.total ?? 0}
        paging={pagingOf(page, bookings.data)} notice={noticeOf(DONE, request.query)} error={error} />
    ), o.status ?? 200);
  }

  app.get('/admin/events/:id', { schema: { ...hide, params: IdParams, querystring: query({}) } }, web.asAdmin(async (request, reply, session) => {
    return showEvent(request, reply, session, (request.params as Params).id);
  }));

  app.post('/admin/events/:id', post(EventForm, IdParams), web.asAdmin(async (request, reply, session) => {
    const { id } = request.params as Params;
    const f = request.body as EventFormValues;
    const input = eventBody(f);
    if ('error' in input) return showEvent(request, reply, session, id, { status: 400, error: input.error, values: f });
    const { error, response } = await web.api(request, session).PATCH('/api/v1/admin/events/{id}', { params: { path: { id } }, body: input.body });
    if (!error) return reply.redirect(`/admin/events/${id}?done=updated`, 303);
    return showEvent(request, reply, session, id, { status: response.status, error: detailedProblem(error), values: f });
  }));

  app.post('/admin/events/:id/publish', post(FormOf({}), IdParams), web.asAdmin(async (request, reply, session) => {
    const { id } = request.params as Params;
    const { error, response } = await web.api(request, session).POST('/api/v1/admin/events/{id}/publish', { params: { path: { id } } });
    if (!error) return reply.redirect(`/admin/events/${id}?done=published`, 303);
    return showEvent(request, reply, session, id, { status: response.status, error: detailedProblem(error) });
  }));

  app.post('/admin/events/:id/cancel', post(CancelForm, IdParams), web.asAdmin(async (request, reply, session) => {
    const { id } = request.params as Params;
    const { reason } = request.body as { reason: string };
    const { error, response } = await web.api(request, session).POST('/api/v1/admin/events/{id}/cancel', { params: { path: { id } }, body: { reason: reason.trim() } });
    if (!error) return reply.redirect(`/admin/events/${id}?done=cancelled`, 303);
    return showEvent(request, reply, session, id, { status: response.status, error: detailedProblem(error) });
  }));

  // --- Bookings and the audit log ---

  app.get('/admin/bookings', { schema: { ...hide, querystring: BookingsQuery } }, web.asAdmin(async (request, reply, session) => {
    const q = request.query as Static<typeof BookingsQuery>;
    const page = q.page ?? 1;
    const { data, error, response } = await web.api(request, session).GET('/api/v1/admin/bookings', {
      params: { query: { page, size: PAGE_SIZE, reference: blank(q.reference), status: q.status || undefined, event_id: blank(q.event_id), user_id: blank(q.user_id) } },
    });
    const items = data?.items ?? [];
    const [events, names] = await Promise.all([web.events(request, session, items.map((b) => b.event_id)), people(request, session, items.map((b) => b.user_id))]);
    return web.page(request, reply, (ctx) => (
      <AdminBookingsPage ctx={ctx} query={filtersOf(q, ['reference', 'status', 'event_id', 'user_id'])} bookings={items} events={events} people={names} total={data?.total ?? 0}
        paging={pagingOf(page, data)} error={error && `The search could not run: ${detailedProblem(error)}`} />
    ), error ? response.status : 200);
  }));

  app.get('/admin/audit', { schema: { ...hide, querystring: AuditQuery } }, web.asAdmin(async (request, reply, session) => {
    const q = request.query as Static<typeof AuditQuery>;
    const page = q.page ?? 1;
    const { data, error, response } = await web.api(request, session).GET('/api/v1/admin/audit-logs', {
      params: {
        query: {
          page, size: PAGE_SIZE, booking_id: blank(q.booking_id), event_id: blank(q.event_id), action: q.action || undefined,
          // "To" is a day the organiser wants included: the search ends where the next day begins.
          from: utcDay(q.from), to: utcDay(q.to, 1),
        },
      },
    });
    const items = data?.items ?? [];
    const events = await web.events(request, session, items.map((a) => a.event_id));
    return web.page(request, reply, (ctx) => (
      <AuditPage ctx={ctx} query={filtersOf(q, ['booking_id', 'event_id', 'action', 'from', 'to'])} entries={items} events={events} total={data?.total ?? 0}
        paging={pagingOf(page, data)} error={error && `The search could not run: ${detailedProblem(error)}`} />
    ), error ? response.status : 200);
  }));

  // --- Waitlists ---

  async function showWaitlist(request: FastifyRequest, reply: FastifyReply, session: Session, q: Static<typeof WaitlistQuery>, status = 200, problem?: string) {
    const api = web.api(request, session);
    const page = q.page ?? 1;
    const eventId = blank(q.event_id);
    const [choices, event, line] = await Promise.all([
      api.GET('/api/v1/events', { params: { query: { page: 1, size: 100, status: ['published'], sort: 'starts_at' } } }),
      eventId ? api.GET('/api/v1/events/{id}', { params: { path: { id: eventId } } }) : undefined,
      eventId ? api.GET('/api/v1/admin/waitlist', { params: { query: { event_id: eventId, status: q.status || undefined, page, size: PAGE_SIZE } } }) : undefined,
    ]);
    const missing = eventId && !event?.data;
    const names = await people(request, session, (line?.data?.items ?? []).map((w) => w.user_id));
    const error = problem ?? (missing ? 'There is no event with that id.' : line?.error ? `The line could not be read: ${detailedProblem(line.error)}` : undefined);
    return web.page(request, reply, (ctx) => (
      <AdminWaitlistPage ctx={ctx} query={filtersOf(q, ['event_id', 'status'])} choices={choices.data?.items ?? []} event={event?.data} entries={line?.data?.items ?? []} people={names}
        total={line?.data?.total ?? 0} paging={pagingOf(page, line?.data)} notice={noticeOf(DONE, q)} error={error} />
    ), missing && status === 200 ? 404 : line?.error && status === 200 ? line.response.status : status);
  }

  app.get('/admin/waitlist', { schema: { ...hide, querystring: WaitlistQuery } }, web.asAdmin(async (request, reply, session) => {
    return showWaitlist(request, reply, session, request.query as Static<typeof WaitlistQuery>);
  }));

  app.post('/admin/waitlist/:id/priority', post(PriorityForm, IdParams), web.asAdmin(async (request, reply, session) => {
    const { id } = request.params as Params;
    const f = request.body as Static<typeof PriorityForm>;
    const { error, response } = await web.api(request, session).PUT('/api/v1/admin/waitlist/{id}/priority', { params: { path: { id } }, body: { priority: f.priority } });
    const back = { event_id: blank(f.event_id) };
    if (!error) return reply.redirect(`/admin/waitlist?${search({ ...back, done: 'priority' })}`, 303);
    return showWaitlist(request, reply, session, back, response.status, detailedProblem(error));
  }));

  // --- Users ---

  async function showUsers(request: FastifyRequest, reply: FastifyReply, session: Session, q: Static<typeof UsersQuery>, status = 200, problem?: string) {
    const page = q.page ?? 1;
    const { data, error, response } = await web.api(request, session).GET('/api/v1/admin/users', {
      params: { query: { page, page_size: PAGE_SIZE, search: blank(q.search), role: q.role || undefined } },
    });
    // This list answers a total, not has_next: the pages are counted here.
    const paging = { page, hasPrev: page > 1, hasNext: data ? page * data.page_size < data.total : false };
    return web.page(request, reply, (ctx) => (
      <AdminUsersPage ctx={ctx} query={filtersOf(q, ['search', 'role'])} users={data?.items ?? []} total={data?.total ?? 0} paging={paging}
        notice={noticeOf(DONE, q)} error={problem ?? (error && `The search could not run: ${detailedProblem(error)}`)} />
    ), problem ? status : error ? response.status : 200);
  }

  app.get('/admin/users', { schema: { ...hide, querystring: UsersQuery } }, web.asAdmin(async (request, reply, session) => {
    return showUsers(request, reply, session, request.query as Static<typeof UsersQuery>);
  }));

  for (const action of ['activate', 'deactivate'] as const) {
    app.post(`/admin/users/:id/${action}`, post(UserForm, IdParams), web.asAdmin(async (request, reply, session) => {
      const { id } = request.params as Params;
      const f = request.body as Static<typeof UserForm>;
      const api = web.api(request, session);
      const call = { params: { path: { id } } };
      const { error, response } = action === 'activate'
        ? await api.POST('/api/v1/admin/users/{id}/activate', call)
        : await api.POST('/api/v1/admin/users/{id}/deactivate', call);
      // Back to the list the button was on: same search, same page.
      const back = { search: blank(f.search), role: f.role || undefined, page: f.page };
      if (!error) return reply.redirect(`/admin/users?${search({ ...back, done: `${action}d` })}`, 303);
      return showUsers(request, reply, session, back, response.status, detailedProblem(error));
    }));
  }
}
