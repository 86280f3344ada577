-- The catalogue. Money is numeric (never a float); the rules the API checks are also constraints,
-- so no path into the table (a migration, a script, a bug) can store an impossible event.
create table events.events (
  id               uuid primary key,
  title            text not null check (char_length(title) between 1 and 255),
  description      text not null default '' check (char_length(description) <= 20000),
  venue            text not null check (char_length(venue) between 1 and 255),
  category         text not null check (category ~ '^[a-z0-9][a-z0-9-]{0,49}$'),
  starts_at        timestamptz not null,
  ends_at          timestamptz check (ends_at >= starts_at),
  -- IANA name of the venue's zone: local times are shown beside UTC.
  timezone         text not null default 'UTC' check (char_length(timezone) between 1 and 64),
  capacity         integer not null check (capacity > 0),
  price            numeric(10, 2) not null check (price >= 0),
  currency         char(3) not null default 'USD' check (currency ~ '^[A-Z]{3}$'),
  max_per_booking  integer not null default 10 check (max_per_booking between 1 and 1000),
  -- A user's active seats for the event in all; null: max_per_booking.
  max_per_user     integer check (max_per_user between 1 and 100000),
  status           text not null default 'draft' check (status in ('draft', 'published', 'completed', 'cancelled')),
  cancel_reason    text check (char_length(cancel_reason) <= 500),
  -- Bumped by every change; events about the row carry it.
  version          integer not null default 1 check (version > 0),
  created_by       uuid not null,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  published_at     timestamptz,
  cancelled_at     timestamptz,
  completed_at     timestamptz,
  -- Full-text search, ranked: the title weighs most, then the venue, then the description.
  search           tsvector generated always as (
                     setweight(to_tsvector('english', title), 'A') ||
                     setweight(to_tsvector('english', venue), 'B') ||
                     setweight(to_tsvector('english', description), 'C')) stored,
  check ((status = 'cancelled') = (cancelled_at is not null))
);

-- Public reads see published events only: every sort has its index, each ending in the id that
-- breaks ties (pages never repeat or skip a row).
create index events_published_starts on events.events (starts_at, id) where status = 'published';
create index events_published_price on events.events (price, id) where status = 'published';
create index events_published_created on events.events (created_at, id) where status = 'published';
create index events_published_category on events.events (category, starts_at, id) where status = 'published';
create index events_published_search on events.events using gin (search) where status = 'published';
create extension if not exists pg_trgm with schema public;
create index events_published_venue on events.events using gin (lower(venue) public.gin_trgm_ops) where status = 'published';
-- Admin reads (every status) and the task that completes ended events.
create index events_status_starts on events.events (status, starts_at, id);
create index events_to_complete on events.events ((coalesce(ends_at, starts_at))) where status = 'published';

-- Seats as the bookings ledger counts them (bookings.availability.changed), newest ledger version
-- wins. `taken` (held + sold) is kept rather than `available`, so a capacity change here shows at
-- once; `sold_ever` sticks, because an event that ever sold is cancelled, never deleted.
create table events.availability (
  event_id        uuid primary key,
  taken           integer not null check (taken >= 0),
  sold_ever       boolean not null default false,
  ledger_version  bigint not null,
  updated_at      timestamptz not null default now()
);
