import { Type, type Static } from 'typebox';
import { PageOf, StrictObject } from '../../kernel/index.js';
import { TOP_SORTS } from './stats.repository.js';

const Id = Type.String({ format: 'uuid' });
const Time = Type.String({ format: 'date-time' });
const Day = Type.String({ format: 'date', description: 'A UTC day' });
const Money = Type.String({ pattern: '^-?[0-9]+\\.[0-9]{2}$', description: 'Two decimals, e.g. "50.00"' });
const Count = Type.Integer({ minimum: 0 });
const Ratio = Type.Union([Type.Number(), Type.Null()], { description: 'Confirmed seats / capacity (0..1); null while the capacity is unknown' });

const Days = Type.Integer({ minimum: 1, maximum: 366, default: 30, description: 'How many UTC days, up to and including today' });
export const DaysQuery = StrictObject({ days: Days });
export const Paging = { page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }), size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) };
const Sort = Type.Enum(Object.keys(TOP_SORTS) as (keyof typeof TOP_SORTS)[], { default: 'bookings', description: 'bookings: confirmed bookings; tickets: confirmed seats; revenue: net of refunds; utilization: confirmed seats / capacity' });

export const TopQuery = StrictObject({ sort_by: Sort, limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }) });
export const EventsQuery = StrictObject({ event_id: Type.Optional(Id), sort_by: Sort, ...Paging });
export type EventsQuery = Static<typeof EventsQuery>;
export const CapacityQuery = StrictObject({ ...Paging });
export const LogQuery = StrictObject({
  type: Type.Optional(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+\\.[a-z_]+$', maxLength: 100 })),
  entity_id: Type.Optional(Id),
  ...Paging,
});
export type LogQuery = Static<typeof LogQuery>;

export const Revenue = Type.Object({ currency: Type.String(), gross: Money, refunds: Money, net: Money });

export const EventStats = Type.Object({
  event_id: Id,
  title: Type.Union([Type.String(), Type.Null()], { description: 'Null until analytics has the event itself' }),
  category: Type.Union([Type.String(), Type.Null()]),
  status: Type.Union([Type.String(), Type.Null()]),
  starts_at: Type.Union([Time, Type.Null()]),
  capacity: Type.Union([Count, Type.Null()]),
  bookings: Type.Object({
    confirmed: Type.Integer({ description: 'Confirmed now (a refunded booking no longer counts)' }),
    holds: Type.Integer({ description: 'Every booking ever held, whatever became of it' }),
    pending: Count, cancelled: Count, expired: Count, refunded: Count,
  }),
  tickets: Type.Object({ sold: Count, pending: Count, refunded: Count }),
  revenue: Type.Union([Revenue, Type.Null()], { description: 'Confirmed amounts minus refunds; null before the first booking' }),
  utilization: Ratio,
  waitlist: Type.Object({ joined: Count, waiting: Count, offered: Count, converted: Count }),
});
export const EventStatsPage = PageOf(EventStats);
export const TopEvents = Type.Object({ sort_by: Sort, items: Type.Array(EventStats) });

export const DailyItem = Type.Object({
  day: Day, holds: Count, confirmed: Count, tickets_sold: Count, cancelled: Count, expired: Count, refunded: Count,
  tickets_refunded: Count, new_users: Count, waitlist_joined: Count, waitlist_offered: Count,
});
export const Daily = Type.Object({ days: Type.Integer(), items: Type.Array(DailyItem) });

export const TrendItem = Type.Object({
  day: Day, holds: Count, confirmed: Count, cancelled: Count, expired: Count, refunded: Count,
  conversion_rate: Type.Union([Type.Number(), Type.Null()], { description: 'Confirmations / holds of the day' }),
});
export const Trends = Type.Object({ days: Type.Integer(), items: Type.Array(TrendItem), totals: Type.Omit(TrendItem, ['day']) });

export const RevenueItem = Type.Object({ day: Day, currency: Type.String(), gross: Money, refunds: Money, net: Money });
export const RevenueReport = Type.Object({
  days: Type.Integer(),
  items: Type.Array(RevenueItem, { description: 'Days with movements, one row per currency' }),
  period: Type.Array(Revenue, { description: 'The period, per currency' }),
  all_time: Type.Array(Revenue),
});

export const CapacityItem = Type.Object({ event_id: Id, title: Type.Union([Type.String(), Type.Null()]), capacity: Type.Union([Count, Type.Null()]), tickets_sold: Count, tickets_pending: Count, utilization: Ratio });
export const CapacityReport = Type.Object({
  ...PageOf(CapacityItem).properties,
  average_utilization: Type.Union([Type.Number(), Type.Null()], { description: 'Mean over events whose capacity is known' }),
  overall_utilization: Type.Union([Type.Number(), Type.Null()], { description: 'All confirmed seats / all capacity' }),
});

export const LogEntry = Type.Object({ event_id: Id, type: Type.String(), entity_id: Type.Union([Id, Type.Null()]), occurred_at: Time, received_at: Time, correlation_id: Type.Union([Type.String(), Type.Null()]) });
export const LogPage = PageOf(LogEntry);

export const Overview = Type.Object({
  users: Type.Object({ total: Count, verified: Count, active: Count, admins: Count }),
  events: Type.Object({ total: Count, draft: Count, published: Count, completed: Count, cancelled: Count }),
  bookings: Type.Object({ confirmed: Count, holds: Count, pending: Count, cancelled: Count, expired: Count, refunded: Count }),
  tickets: Type.Object({ sold: Count, pending: Count, refunded: Count }),
  revenue: Type.Array(Revenue, { description: 'Per currency, all time' }),
  utilization: Type.Object({ average: Type.Union([Type.Number(), Type.Null()]), overall: Type.Union([Type.Number(), Type.Null()]) }),
  waitlist: Type.Object({ joined: Count, waiting: Count, offered: Count, converted: Count }),
  system: Type.Object({
    messages_last_hour: Count, messages_last_day: Count,
    messages_kept: Type.Integer({ description: 'Entries in the event log (kept ANALYTICS_EVENT_LOG_DAYS), as PostgreSQL estimates them' }),
    last_received_at: Type.Union([Time, Type.Null()]),
    lag_seconds: Type.Union([Type.Number(), Type.Null()], { description: 'From the newest message\'s occurrence to now' }),
  }),
});
export const Dashboard = Type.Object({
  overview: Overview,
  top_events: Type.Array(EventStats, { description: 'By net revenue' }),
  last_7_days: Type.Array(DailyItem),
  recent: Type.Array(LogEntry),
});

export const EXPORTS = ['events', 'top-events', 'daily', 'booking-trends', 'revenue', 'capacity-utilization', 'event-log'] as const;
export type ExportName = (typeof EXPORTS)[number];
export const ExportParams = StrictObject({ table: Type.Enum([...EXPORTS]) });
export const ExportQuery = StrictObject({ days: Days });
