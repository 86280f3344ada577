-- Analytics keeps its own copy of every entity it counts, as the newest message about it reported
-- (by entity version), plus when each step happened (the occurred_at of the step's message). The
-- read models below are sums of each entity's contribution, computed from that copy alone: a
-- message changes them by (new contribution − old contribution), so repeated or reordered
-- messages give the same totals as one delivery in order. Money is in minor units (hundredths:
-- every amount bookings publishes has two decimals).

create table analytics.bookings (
  booking_id    uuid primary key,
  event_id      uuid not null,
  user_id       uuid not null,
  quantity      integer not null,
  amount_minor  bigint not null,
  currency      text not null,
  status        text not null,
  version       integer not null,
  held_at       timestamptz,
  confirmed_at  timestamptz,
  -- When it was cancelled, expired or refunded.
  ended_at      timestamptz
);

create table analytics.waitlist (
  entry_id      uuid primary key,
  event_id      uuid not null,
  user_id       uuid not null,
  quantity      integer not null,
  status        text not null,
  version       integer not null,
  joined_at     timestamptz,
  offered_at    timestamptz,
  ended_at      timestamptz
);

create table analytics.events (
  event_id      uuid primary key,
  title         text,
  category      text,
  venue         text,
  starts_at     timestamptz,
  timezone      text,
  capacity      integer,
  price         numeric(12, 2),
  currency      text,
  -- draft, published, completed, cancelled, or deleted (a tombstone: nothing older brings it back).
  status        text not null,
  version       integer not null
);
create index events_status on analytics.events (status);

create table analytics.users (
  user_id       uuid primary key,
  role          text,
  is_verified   boolean not null default false,
  is_active     boolean not null default true,
  deleted       boolean not null default false,
  version       integer not null,
  registered_at timestamptz
);

-- Per event. Current-state counts (confirmed, pending, waiting) and lifetime counts (holds ever
-- made, cancellations, expiries, refunds, offers) are kept apart: a booking counts as sold only
-- while confirmed, and tickets (seats) and bookings are different numbers.
create table analytics.event_stats (
  event_id              uuid primary key,
  capacity              integer,
  currency              text,
  holds                 integer not null default 0,
  confirmed             integer not null default 0,
  tickets_sold          integer not null default 0,
  pending               integer not null default 0,
  pending_tickets       integer not null default 0,
  cancelled             integer not null default 0,
  expired               integer not null default 0,
  refunded              integer not null default 0,
  tickets_refunded      integer not null default 0,
  gross_minor           bigint not null default 0,
  refunds_minor         bigint not null default 0,
  net_minor             bigint generated always as (gross_minor - refunds_minor) stored,
  waitlist_joined       integer not null default 0,
  waitlist_waiting      integer not null default 0,
  waitlist_offered      integer not null default 0,
  waitlist_converted    integer not null default 0,
  -- Confirmed seats over capacity (null until analytics knows the capacity).
  utilization           numeric generated always as (case when capacity > 0 then round(tickets_sold::numeric / capacity, 4) end) stored
);
-- Top events by each measure read the head of one of these (10,000 events stay a few rows read).
create index event_stats_by_confirmed on analytics.event_stats (confirmed desc, event_id);
create index event_stats_by_tickets on analytics.event_stats (tickets_sold desc, event_id);
create index event_stats_by_net on analytics.event_stats (net_minor desc, event_id);
create index event_stats_by_utilization on analytics.event_stats (utilization desc nulls last, event_id);

-- Per UTC day, each step counted on the day it happened.
create table analytics.daily_stats (
  day                   date primary key,
  holds                 integer not null default 0,
  confirmed             integer not null default 0,
  tickets_sold          integer not null default 0,
  cancelled             integer not null default 0,
  expired               integer not null default 0,
  refunded              integer not null default 0,
  tickets_refunded      integer not null default 0,
  new_users             integer not null default 0,
  waitlist_joined       integer not null default 0,
  waitlist_offered      integer not null default 0
);

-- Per UTC day and currency: confirmed amounts on the day of confirmation, refunds on the day of refund.
create table analytics.daily_revenue (
  day                   date not null,
  currency              text not null,
  gross_minor           bigint not null default 0,
  refunds_minor         bigint not null default 0,
  primary key (day, currency)
);

-- Every message analytics applied (what happened, to what, when), kept ANALYTICS_EVENT_LOG_DAYS.
-- No payloads: user messages carry addresses, which analytics does not need to keep.
create table analytics.event_log (
  event_id        uuid primary key,
  type            text not null,
  entity_id       uuid,
  occurred_at     timestamptz not null,
  received_at     timestamptz not null default now(),
  correlation_id  text
);
create index event_log_newest on analytics.event_log (occurred_at desc, event_id desc);
create index event_log_type on analytics.event_log (type, occurred_at desc);
create index event_log_received on analytics.event_log (received_at);
create index event_log_entity on analytics.event_log (entity_id, occurred_at desc);
