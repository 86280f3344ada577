import type { Executor } from '../../kernel/index.js';
import { fromMinor } from './contribution.js';
import type { ExportName, EventsQuery, LogQuery } from './analytics.schemas.js';
import {
  dailyRevenue, dailyStats, eventLogPage, eventStatsPage, latestLog, messageFlow, population, revenueTotals, totals,
  type CurrencyTotal, type DailyRow, type EventStatsRow, type LogRow, type TopSort,
} from './stats.repository.js';

/** The reports of SPEC §6, shaped from the read models (no recounting of bookings). */

const ratio = (v: string | null) => (v === null ? null : Number(v));
const money = (t: CurrencyTotal) => ({ currency: t.currency, gross: fromMinor(t.gross_minor), refunds: fromMinor(t.refunds_minor), net: fromMinor(BigInt(t.gross_minor) - BigInt(t.refunds_minor)) });

export function eventStatsView(r: EventStatsRow) {
  return {
    event_id: r.event_id, title: r.title, category: r.category, status: r.status, starts_at: r.starts_at?.toISOString() ?? null, capacity: r.capacity,
    bookings: { confirmed: r.confirmed, holds: r.holds, pending: r.pending, cancelled: r.cancelled, expired: r.expired, refunded: r.refunded },
    tickets: { sold: r.tickets_sold, pending: r.pending_tickets, refunded: r.tickets_refunded },
    revenue: r.currency ? money({ currency: r.currency, gross_minor: r.gross_minor, refunds_minor: r.refunds_minor }) : null,
    utilization: ratio(r.utilization),
    waitlist: { joined: r.waitlist_joined, waiting: r.waitlist_waiting, offered: r.waitlist_offered, converted: r.waitlist_converted },
  };
}

const logView = (r: LogRow) => ({ ...r, occurred_at: r.occurred_at.toISOString(), received_at: r.received_at.toISOString() });

export async function eventStats(db: Executor, q: EventsQuery) {
  const { rows, total } = await eventStatsPage(db, { eventId: q.event_id, sort: q.sort_by, limit: q.size, offset: (q.page - 1) * q.size });
  return { items: rows.map(eventStatsView), total };
}

export async function topEvents(db: Executor, sort: TopSort, limit: number) {
  const { rows } = await eventStatsPage(db, { sort, limit, offset: 0 });
  return { sort_by: sort, items: rows.map(eventStatsView) };
}

export async function daily(db: Executor, days: number) {
  return { days, items: await dailyStats(db, days) };
}

const trend = (d: Pick<DailyRow, 'holds' | 'confirmed' | 'cancelled' | 'expired' | 'refunded'>) => ({
  holds: d.holds, confirmed: d.confirmed, cancelled: d.cancelled, expired: d.expired, refunded: d.refunded,
  conversion_rate: d.holds ? Math.round((d.confirmed / d.holds) * 10_000) / 10_000 : null,
});

export async function bookingTrends(db: Executor, days: number) {
  const rows = await dailyStats(db, days);
  const sum = (k: 'holds' | 'confirmed' | 'cancelled' | 'expired' | 'refunded') => rows.reduce((n, r) => n + r[k], 0);
  return {
    days,
    items: rows.map((r) => ({ day: r.day, ...trend(r) })),
    totals: trend({ holds: sum('holds'), confirmed: sum('confirmed'), cancelled: sum('cancelled'), expired: sum('expired'), refunded: sum('refunded') }),
  };
}

export async function revenue(db: Executor, days: number) {
  const [rows, allTime] = await Promise.all([dailyRevenue(db, days), revenueTotals(db)]);
  const period = new Map<string, CurrencyTotal>();
  for (const r of rows) {
    const t = period.get(r.currency) ?? { currency: r.currency, gross_minor: '0', refunds_minor: '0' };
    period.set(r.currency, { currency: r.currency, gross_minor: String(BigInt(t.gross_minor) + BigInt(r.gross_minor)), refunds_minor: String(BigInt(t.refunds_minor) + BigInt(r.refunds_minor)) });
  }
  return {
    days,
    items: rows.map((r) => ({ day: r.day, ...money(r) })),
    period: [...period.values()].sort((a, b) => a.currency.localeCompare(b.currency)).map(money),
    all_time: allTime.map(money),
  };
}

export async function capacityUtilization(db: Executor, q: { page: number; size: number }) {
  const [{ rows, total }, t] = await Promise.all([eventStatsPage(db, { sort: 'utilization', limit: q.size, offset: (q.page - 1) * q.size }), totals(db)]);
  return {
    items: rows.map((r) => ({ event_id: r.event_id, title: r.title, capacity: r.capacity, tickets_sold: r.tickets_sold, tickets_pending: r.pending_tickets, utilization: ratio(r.utilization) })),
    total,
    average_utilization: ratio(t.average_utilization),
    overall_utilization: t.capacity_measured ? Math.round((t.seats_sold_measured / t.capacity_measured) * 10_000) / 10_000 : null,
  };
}

export async function overview(db: Executor) {
  const [t, p, flow, money_] = await Promise.all([totals(db), population(db), messageFlow(db), revenueTotals(db)]);
  const ev = (s: string) => p.events[s] ?? 0;
  return {
    users: { total: p.users, verified: p.verified, active: p.active, admins: p.admins },
    events: { total: Object.values(p.events).reduce((a, b) => a + b, 0), draft: ev('draft'), published: ev('published'), completed: ev('completed'), cancelled: ev('cancelled') },
    bookings: { confirmed: t.confirmed, holds: t.holds, pending: t.pending, cancelled: t.cancelled, expired: t.expired, refunded: t.refunded },
    tickets: { sold: t.tickets_sold, pending: t.pending_tickets, refunded: t.tickets_refunded },
    revenue: money_.map(money),
    utilization: { average: ratio(t.average_utilization), overall: t.capacity_measured ? Math.round((t.seats_sold_measured / t.capacity_measured) * 10_000) / 10_000 : null },
    waitlist: { joined: t.waitlist_joined, waiting: t.waitlist_waiting, offered: t.waitlist_offered, converted: t.waitlist_converted },
    system: {
      messages_last_hour: flow.last_hour, messages_last_day: flow.last_day, messages_kept: flow.kept,
      last_received_at: flow.last_received_at?.toISOString() ?? null,
      lag_seconds: flow.last_occurred_at ? Math.max(0, Math.round((Date.now() - flow.last_occurred_at.getTime()) / 100) / 10) : null,
    },
  };
}

export async function dashboard(db: Executor) {
  const [o, top, week, recent] = await Promise.all([overview(db), topEvents(db, 'revenue', 5), dailyStats(db, 7), latestLog(db, 10)]);
  return { overview: o, top_events: top.items, last_7_days: week, recent: recent.map(logView) };
}

export async function eventLog(db: Executor, q: LogQuery) {
  const { rows, total } = await eventLogPage(db, { type: q.type, entityId: q.entity_id, limit: q.size, offset: (q.page - 1) * q.size });
  return { items: rows.map(logView), total };
}

/** Every row of a report as a flat record, for CSV. Exports are bounded: the first 10,000 rows of a list. */
const EXPORT_ROWS = 10_000;

export async function exportRows(db: Executor, table: ExportName, days: number): Promise<Record<string, unknown>[]> {
  switch (table) {
    case 'events': return (await eventStats(db, { sort_by: 'bookings', page: 1, size: EXPORT_ROWS })).items;
    case 'top-events': return (await topEvents(db, 'revenue', 100)).items;
    case 'daily': return (await daily(db, days)).items.map((r) => ({ ...r }));
    case 'booking-trends': return (await bookingTrends(db, days)).items;
    case 'revenue': return (await revenue(db, days)).items;
    case 'capacity-utilization': return (await capacityUtilization(db, { page: 1, size: EXPORT_ROWS })).items;
    case 'event-log': return (await eventLog(db, { page: 1, size: EXPORT_ROWS })).items;
  }
}
