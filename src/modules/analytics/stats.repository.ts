import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../kernel/index.js';

/** Reads of the read models. Sums are taken by PostgreSQL (bigint, exact); counts come back as numbers. */

export interface EventStatsRow {
  event_id: string; title: string | null; category: string | null; status: string | null; starts_at: Date | null;
  capacity: number | null; currency: string | null;
  holds: number; confirmed: number; tickets_sold: number; pending: number; pending_tickets: number;
  cancelled: number; expired: number; refunded: number; tickets_refunded: number;
  gross_minor: string; refunds_minor: string; net_minor: string; utilization: string | null;
  waitlist_joined: number; waitlist_waiting: number; waitlist_offered: number; waitlist_converted: number;
}

export const TOP_SORTS = { bookings: 'confirmed', tickets: 'tickets_sold', revenue: 'net_minor', utilization: 'utilization' } as const;
export type TopSort = keyof typeof TOP_SORTS;

const STATS = sql`select s.*, e.title, e.category, e.status, e.starts_at from analytics.event_stats s left join analytics.events e on e.event_id = s.event_id`;

/** Each order matches one index of event_stats, so the head of 10,000 events is read, not sorted. */
function orderOf(sort: TopSort): RawBuilder<unknown> {
  const col = sql.ref(`s.${TOP_SORTS[sort]}`);
  return sort === 'utilization' ? sql`order by ${col} desc nulls last, s.event_id` : sql`order by ${col} desc, s.event_id`;
}

type StatsPage = { eventId?: string; sort: TopSort; limit: number; offset: number };

/** The page's query, also for EXPLAIN (a test checks that each order reads its index). */
export function eventStatsQuery(o: StatsPage): RawBuilder<EventStatsRow> {
  const where = o.eventId ? sql`where s.event_id = ${o.eventId}` : sql``;
  return sql<EventStatsRow>`${STATS} ${where} ${orderOf(o.sort)} limit ${o.limit} offset ${o.offset}`;
}

export async function eventStatsPage(db: Executor, o: StatsPage): Promise<{ rows: EventStatsRow[]; total: number }> {
  const where = o.eventId ? sql`where s.event_id = ${o.eventId}` : sql``;
  const [{ rows }, count] = await Promise.all([
    eventStatsQuery(o).execute(db),
    sql<{ n: number }>`select count(*)::int as n from analytics.event_stats s ${where}`.execute(db),
  ]);
  return { rows, total: count.rows[0]!.n };
}

export interface DailyRow {
  day: string; holds: number; confirmed: number; tickets_sold: number; cancelled: number; expired: number; refunded: number;
  tickets_refunded: number; new_users: number; waitlist_joined: number; waitlist_offered: number;
}

/** The `days` UTC days up to today, oldest first, days without activity as zeros. */
const DAYS = (days: number) => sql`generate_series((now() at time zone 'utc')::date - ${days - 1}::int, (now() at time zone 'utc')::date, interval '1 day') as g(d)`;

export async function dailyStats(db: Executor, days: number): Promise<DailyRow[]> {
  const { rows } = await sql<DailyRow>`
    select to_char(g.d, 'YYYY-MM-DD') as day,
      coalesce(s.holds, 0) as holds, coalesce(s.confirmed, 0) as confirmed, coalesce(s.tickets_sold, 0) as tickets_sold,
      coalesce(s.cancelled, 0) as cancelled, coalesce(s.expired, 0) as expired, coalesce(s.refunded, 0) as refunded,
      coalesce(s.tickets_refunded, 0) as tickets_refunded, coalesce(s.new_users, 0) as new_users,
      coalesce(s.waitlist_joined, 0) as waitlist_joined, coalesce(s.waitlist_offered, 0) as waitlist_offered
    from ${DAYS(days)} left join analytics.daily_stats s on s.day = g.d::date order by g.d`.execute(db);
  return rows;
}

export interface RevenueRow { day: string; currency: string; gross_minor: string; refunds_minor: string }

/** Days with revenue movements only (a day has one row per currency that moved). */
export async function dailyRevenue(db: Executor, days: number): Promise<RevenueRow[]> {
  const { rows } = await sql<RevenueRow>`
    select to_char(day, 'YYYY-MM-DD') as day, currency, gross_minor::text, refunds_minor::text from analytics.daily_revenue
    where day > (now() at time zone 'utc')::date - ${days}::int order by day, currency`.execute(db);
  return rows;
}

export interface CurrencyTotal { currency: string; gross_minor: string; refunds_minor: string }

/** All-time revenue per currency (every movement is on some day). */
export async function revenueTotals(db: Executor): Promise<CurrencyTotal[]> {
  const { rows } = await sql<CurrencyTotal>`select currency, sum(gross_minor)::text as gross_minor, sum(refunds_minor)::text as refunds_minor
    from analytics.daily_revenue group by currency order by currency`.execute(db);
  return rows;
}

export interface Totals {
  holds: number; confirmed: number; tickets_sold: number; pending: number; pending_tickets: number; cancelled: number; expired: number;
  refunded: number; tickets_refunded: number; waitlist_joined: number; waitlist_waiting: number; waitlist_offered: number; waitlist_converted: number;
  seats_sold_measured: number; capacity_measured: number; average_utilization: string | null;
}

export async function totals(db: Executor): Promise<Totals> {
  const { rows } = await sql<Totals>`select
      coalesce(sum(holds), 0)::int as holds, coalesce(sum(confirmed), 0)::int as confirmed, coalesce(sum(tickets_sold), 0)::int as tickets_sold,
      coalesce(sum(pending), 0)::int as pending, coalesce(sum(pending_tickets), 0)::int as pending_tickets,
      coalesce(sum(cancelled), 0)::int as cancelled, coalesce(sum(expired), 0)::int as expired, coalesce(sum(refunded), 0)::int as refunded,
      coalesce(sum(tickets_refunded), 0)::int as tickets_refunded, coalesce(sum(waitlist_joined), 0)::int as waitlist_joined,
      coalesce(sum(waitlist_waiting), 0)::int as waitlist_waiting, coalesce(sum(waitlist_offered), 0)::int as waitlist_offered,
      coalesce(sum(waitlist_converted), 0)::int as waitlist_converted,
      coalesce(sum(tickets_sold) filter (where capacity > 0), 0)::int as seats_sold_measured,
      coalesce(sum(capacity) filter (where capacity > 0), 0)::int as capacity_measured,
      round(avg(utilization), 4)::text as average_utilization
    from analytics.event_stats`.execute(db);
  return rows[0]!;
}

export interface PopulationRow { users: number; verified: number; active: number; admins: number; events: Record<string, number> }

export async function population(db: Executor): Promise<PopulationRow> {
  const [users, events] = await Promise.all([
    sql<{ users: number; verified: number; active: number; admins: number }>`select count(*)::int as users,
      count(*) filter (where is_verified)::int as verified, count(*) filter (where is_active)::int as active,
      count(*) filter (where role = 'admin')::int as admins from analytics.users where not deleted`.execute(db),
    sql<{ status: string; n: number }>`select status, count(*)::int as n from analytics.events where status <> 'deleted' group by status`.execute(db),
  ]);
  return { ...users.rows[0]!, events: Object.fromEntries(events.rows.map((r) => [r.status, r.n])) };
}

export interface MessageFlow { last_hour: number; last_day: number; kept: number; last_received_at: Date | null; last_occurred_at: Date | null }

/**
 * Range counts on the received_at index (a day of messages, not the whole log), the newest entry
 * by index, and the log's size as the planner's estimate: the log holds ANALYTICS_EVENT_LOG_DAYS of
 * every message, too many to count on each dashboard view.
 */
export async function messageFlow(db: Executor): Promise<MessageFlow> {
  const { rows } = await sql<MessageFlow>`select
      (select count(*)::int from analytics.event_log where received_at > now() - interval '1 hour') as last_hour,
      (select count(*)::int from analytics.event_log where received_at > now() - interval '1 day') as last_day,
      (select greatest(reltuples, 0)::int from pg_class where oid = 'analytics.event_log'::regclass) as kept,
      (select max(received_at) from analytics.event_log) as last_received_at,
      (select occurred_at from analytics.event_log order by occurred_at desc limit 1) as last_occurred_at`.execute(db);
  return rows[0]!;
}

export interface LogRow { event_id: string; type: string; entity_id: string | null; occurred_at: Date; received_at: Date; correlation_id: string | null }

/** The newest `limit` log entries (no count: the dashboard shows only these). */
export async function latestLog(db: Executor, limit: number): Promise<LogRow[]> {
  return (await sql<LogRow>`select * from analytics.event_log order by occurred_at desc, event_id desc limit ${limit}`.execute(db)).rows;
}

export async function eventLogPage(db: Executor, o: { type?: string; entityId?: string; limit: number; offset: number }): Promise<{ rows: LogRow[]; total: number }> {
  const filters = [o.type ? sql`type = ${o.type}` : undefined, o.entityId ? sql`entity_id = ${o.entityId}` : undefined].filter((f) => f !== undefined);
  const where = filters.length ? sql`where ${sql.join(filters, sql` and `)}` : sql``;
  const [{ rows }, count] = await Promise.all([
    sql<LogRow>`select * from analytics.event_log ${where} order by occurred_at desc, event_id desc limit ${o.limit} offset ${o.offset}`.execute(db),
    sql<{ n: number }>`select count(*)::int as n from analytics.event_log ${where}`.execute(db),
  ]);
  return { rows, total: count.rows[0]!.n };
}
