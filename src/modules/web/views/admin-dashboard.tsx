import { money } from './format.js';
import type { PageContext } from './layout.js';
import type { Ok } from '../../../client/index.js';
import { AdminLayout } from './admin.js';
import { ColumnChart, NumbersTable, ShareBars, dayLabel, lastDays, percent, type Point } from './admin-charts.js';

/** The reports the API exports as CSV, with what each holds. */
export const EXPORTS = {
  events: 'Every event with its bookings, seats and revenue',
  'top-events': 'The top events',
  daily: 'Activity per day',
  'booking-trends': 'Holds and what became of them, per day',
  revenue: 'Revenue per day and currency',
  'capacity-utilization': 'Seats filled per event',
  'event-log': 'The messages the reports were built from',
} as const;
export type ExportTable = keyof typeof EXPORTS;

export interface DashboardData {
  days: number;
  dashboard: Ok<'analyticsDashboard'> | undefined;
  trends: Ok<'analyticsBookingTrends'> | undefined;
  revenue: Ok<'analyticsRevenue'> | undefined;
  capacity: Ok<'analyticsCapacityUtilization'> | undefined;
  top: Ok<'analyticsTopEvents'> | undefined;
}

const Missing = () => <p class="muted">These numbers could not be read just now. Reload the page to try again.</p>;

export function DashboardPage({ ctx, data, error }: { ctx: PageContext; data: DashboardData; error?: string | undefined }) {
  const o = data.dashboard?.overview;
  return (
    <AdminLayout ctx={ctx} title="Dashboard" error={error}>
      <h1>Dashboard</h1>
      <section aria-labelledby="bookings-h">
        <h2 id="bookings-h">Bookings</h2>
        {o ? (
          <ul class="stats">
            <li><strong>{o.bookings.confirmed}</strong> confirmed</li>
            <li><strong>{o.bookings.pending}</strong> held, awaiting payment</li>
            <li><strong>{o.bookings.cancelled}</strong> cancelled</li>
            <li><strong>{o.bookings.expired}</strong> holds expired</li>
            <li><strong>{o.bookings.refunded}</strong> refunded</li>
          </ul>
        ) : <Missing />}
      </section>
      <section aria-labelledby="events-h">
        <h2 id="events-h">Events</h2>
        {o ? (
          <ul class="stats">
            {(['draft', 'published', 'completed', 'cancelled'] as const).map((s) => (
              <li><strong>{o.events[s]}</strong> <a href={`/admin/events?status=${s}`}>{s}</a></li>
            ))}
            <li><strong>{o.events.total}</strong> <a href="/admin/events">in all</a></li>
          </ul>
        ) : <Missing />}
      </section>
      <section aria-labelledby="revenue-h">
        <h2 id="revenue-h">Revenue</h2>
        {!o ? <Missing /> : o.revenue.length === 0 ? <p>No sales yet.</p> : (
          <NumbersTable caption="Revenue per currency, all time" head={['Currency', 'Sales', 'Refunds', 'Net']}
            rows={o.revenue.map((m) => [m.currency, money(m.gross, m.currency), money(m.refunds, m.currency), money(m.net, m.currency)])} />
        )}
      </section>
      <Sales data={data} />
      <RevenuePerDay data={data} />
      <Utilisation data={data} />
      <TopEvents data={data} />
      <section aria-labelledby="downloads-h">
        <h2 id="downloads-h">Downloads</h2>
        <p>Each report as a CSV file (a spreadsheet opens it), over the last {data.days} days where it counts days.</p>
        <ul>
          {Object.entries(EXPORTS).map(([table, about]) => (
            <li><a href={`/admin/export/${table}`}>{table}.csv</a> — {about}</li>
          ))}
        </ul>
      </section>
    </AdminLayout>
  );
}

function Sales({ data }: { data: DashboardData }) {
  const items = data.trends?.items;
  const points: Point[] = (items ?? []).map((d) => ({ label: dayLabel(d.day), value: d.confirmed }));
  const total = points.reduce((n, p) => n + p.value, 0);
  const best = points.reduce<Point | undefined>((b, p) => (!b || p.value > b.value ? p : b), undefined);
  const summary = total === 0
    ? `Confirmed bookings per day over the last ${data.days} days: none yet.`
    : `Confirmed bookings per day over the last ${data.days} days: ${total} in all, the most on ${best!.label} (${best!.value}).`;
  return (
    <section aria-labelledby="sales-h">
      <h2 id="sales-h">Sales, last {data.days} days</h2>
      {!items ? <Missing /> : (
        <div class="chart-box">
          <ColumnChart label={summary} points={points} format={(n) => String(Math.round(n))} />
          <details>
            <summary>The numbers</summary>
            <NumbersTable caption="Bookings per UTC day" head={['Day', 'Holds', 'Confirmed', 'Cancelled', 'Expired', 'Refunded', 'Conversion']}
              rows={items.map((d) => [d.day, d.holds, d.confirmed, d.cancelled, d.expired, d.refunded, percent(d.conversion_rate)])} />
          </details>
        </div>
      )}
    </section>
  );
}

function RevenuePerDay({ data }: { data: DashboardData }) {
  const rev = data.revenue;
  const days = lastDays(data.days);
  const currencies = [...new Set(rev?.items.map((i) => i.currency))].sort();
  return (
    <section aria-labelledby="per-day-h">
      <h2 id="per-day-h">Revenue per day, last {data.days} days</h2>
      {!rev ? <Missing /> : currencies.length === 0 ? <p>No sales or refunds in this time.</p> : currencies.map((currency) => {
        // The API lists only days that moved money: the quiet days are zeros on the chart.
        const byDay = new Map(rev.items.filter((i) => i.currency === currency).map((i) => [i.day, i]));
        const points = days.map((d) => ({ label: dayLabel(d), value: Number(byDay.get(d)?.net ?? 0) }));
        const period = rev.period.find((p) => p.currency === currency);
        const summary = `Net revenue in ${currency} per day over the last ${data.days} days: ${money(period?.net ?? '0', currency)} in all, after ${money(period?.refunds ?? '0', currency)} of refunds.`;
        return (
          <div class="chart-box">
            <h3>{currency}</h3>
            <ColumnChart label={summary} points={points} format={(n) => money(String(n), currency).replace(/\.00$/, '')} />
            <details>
              <summary>The numbers</summary>
              <NumbersTable caption={`Revenue in ${currency} per UTC day, days with sales or refunds`} head={['Day', 'Sales', 'Refunds', 'Net']}
                rows={[...byDay.values()].map((i) => [i.day, money(i.gross, currency), money(i.refunds, currency), money(i.net, currency)])} />
            </details>
          </div>
        );
      })}
    </section>
  );
}

function Utilisation({ data }: { data: DashboardData }) {
  const c = data.capacity;
  const rows = (c?.items ?? []).map((i) => ({ label: i.title ?? 'An event no longer listed', share: i.utilization ?? 0 }));
  const summary = c && rows.length
    ? `Seats filled, the ${rows.length} fullest events: ${rows[0]!.label} leads with ${percent(c.items[0]!.utilization)}; ${percent(c.overall_utilization)} of all seats are sold, ${percent(c.average_utilization)} per event on average.`
    : 'No events with seats to fill yet.';
  return (
    <section aria-labelledby="capacity-h">
      <h2 id="capacity-h">Capacity filled</h2>
      {!c ? <Missing /> : rows.length === 0 ? <p>{summary}</p> : (
        <div class="chart-box">
          <ShareBars label={summary} rows={rows} />
          <details>
            <summary>The numbers</summary>
            <NumbersTable caption="Seats sold per event, fullest first" head={['Event', 'Capacity', 'Sold', 'Held', 'Filled']}
              rows={c.items.map((i) => [i.title ?? i.event_id, i.capacity ?? '—', i.tickets_sold, i.tickets_pending, percent(i.utilization)])} />
          </details>
        </div>
      )}
    </section>
  );
}

function TopEvents({ data }: { data: DashboardData }) {
  const items = data.top?.items;
  return (
    <section aria-labelledby="top-h">
      <h2 id="top-h">Top events</h2>
      {!items ? <Missing /> : items.length === 0 ? <p>No bookings yet.</p> : (
        <table class="list">
          <caption>The {items.length} events with the most confirmed bookings</caption>
          <thead><tr><th scope="col">Event</th><th scope="col">Confirmed bookings</th><th scope="col">Seats sold</th><th scope="col">Net revenue</th><th scope="col">Filled</th><th scope="col">Waiting</th></tr></thead>
          <tbody>
            {items.map((t) => (
              <tr>
                <td><a href={`/admin/events/${t.event_id}`}>{t.title ?? 'An event no longer listed'}</a></td>
                <td data-label="Confirmed bookings">{t.bookings.confirmed}</td>
                <td data-label="Seats sold">{t.tickets.sold}</td>
                <td data-label="Net revenue">{t.revenue ? money(t.revenue.net, t.revenue.currency) : '—'}</td>
                <td data-label="Filled">{percent(t.utilization)}</td>
                <td data-label="Waiting">{t.waitlist.waiting}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
