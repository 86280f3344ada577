import { Type } from 'typebox';
import { BEARER, errorResponses, pageFields, privateScope, type Access, type App, type Executor } from '../../kernel/index.js';
import {
  CapacityQuery, CapacityReport, Daily, Dashboard, DaysQuery, EventStatsPage, EventsQuery, ExportParams, ExportQuery,
  LogPage, LogQuery, Overview, RevenueReport, TopEvents, TopQuery, Trends,
} from './analytics.schemas.js';
import { bookingTrends, capacityUtilization, daily, dashboard, eventLog, eventStats, exportRows, overview, revenue, topEvents } from './analytics.service.js';
import { toCsv } from './csv.js';

const tags = ['analytics'];
const security = BEARER;
const errors = errorResponses(400, 401, 403);

/** SPEC §6 reports. Register in a scope of its own: its hooks make every route admins-only and uncached. */
export function analyticsRoutes(app: App, db: Executor, access: Access): void {
  const base = '/api/v1/analytics';
  privateScope(app, access.requireRole('admin'));

  app.get(`${base}/overview`, {
    schema: { tags, summary: 'Totals: users, events, bookings, tickets, revenue per currency, utilisation, waitlist, message flow', operationId: 'analyticsOverview', security, response: { 200: Overview, ...errors } },
  }, () => overview(db));

  app.get(`${base}/dashboard`, {
    schema: { tags, summary: 'The overview, the top 5 events by revenue, the last 7 days and the latest messages', operationId: 'analyticsDashboard', security, response: { 200: Dashboard, ...errors } },
  }, () => dashboard(db));

  app.get(`${base}/top-events`, {
    schema: { tags, summary: 'Top events by confirmed bookings, tickets, net revenue or utilisation', operationId: 'analyticsTopEvents', security, querystring: TopQuery, response: { 200: TopEvents, ...errors } },
  }, (request) => topEvents(db, request.query.sort_by, request.query.limit));

  app.get(`${base}/events`, {
    schema: { tags, summary: 'Per-event stats (one event with event_id)', operationId: 'analyticsEvents', security, querystring: EventsQuery, response: { 200: EventStatsPage, ...errors } },
  }, async (request) => {
    const { items, total } = await eventStats(db, request.query);
    return { items, ...pageFields(request.query, total) };
  });

  app.get(`${base}/daily`, {
    schema: { tags, summary: 'Per UTC day: holds, confirmations, tickets, cancellations, expiries, refunds, new users, waitlist', operationId: 'analyticsDaily', security, querystring: DaysQuery, response: { 200: Daily, ...errors } },
  }, (request) => daily(db, request.query.days));

  app.get(`${base}/booking-trends`, {
    schema: { tags, summary: 'Per UTC day: holds and what became of them, with the conversion rate', operationId: 'analyticsBookingTrends', security, querystring: DaysQuery, response: { 200: Trends, ...errors } },
  }, (request) => bookingTrends(db, request.query.days));

  app.get(`${base}/revenue`, {
    schema: { tags, summary: 'Revenue per UTC day and currency (confirmed minus refunds), the period and all time', operationId: 'analyticsRevenue', security, querystring: DaysQuery, response: { 200: RevenueReport, ...errors } },
  }, (request) => revenue(db, request.query.days));

  app.get(`${base}/capacity-utilization`, {
    schema: { tags, summary: 'Events by utilisation (confirmed seats / capacity), highest first', operationId: 'analyticsCapacityUtilization', security, querystring: CapacityQuery, response: { 200: CapacityReport, ...errors } },
  }, async (request) => {
    const { items, total, ...rest } = await capacityUtilization(db, request.query);
    return { items, ...pageFields(request.query, total), ...rest };
  });

  app.get(`${base}/event-log`, {
    schema: { tags, summary: 'The messages analytics applied, newest first (kept ANALYTICS_EVENT_LOG_DAYS)', operationId: 'analyticsEventLog', security, querystring: LogQuery, response: { 200: LogPage, ...errors } },
  }, async (request) => {
    const { items, total } = await eventLog(db, request.query);
    return { items, ...pageFields(request.query, total) };
  });

  app.get(`${base}/export/:table`, {
    schema: {
      tags, summary: 'A report as CSV (nested fields as `a_b` columns; at most 10,000 rows)', operationId: 'analyticsExport', security,
      params: ExportParams, querystring: ExportQuery,
      response: { 200: { description: 'CSV with a header row', content: { 'text/csv': { schema: Type.String() } } }, ...errors },
    },
  }, async (request, reply) => {
    const { table } = request.params;
    const csv = toCsv(await exportRows(db, table, request.query.days));
    const day = new Date().toISOString().slice(0, 10);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="evently-${table}-${day}.csv"`).send(csv);
  });
}
