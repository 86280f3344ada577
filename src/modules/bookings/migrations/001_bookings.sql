-- What bookings knows of the catalogue: kept from the events module's messages, newest version wins.
create table bookings.events (
  event_id         uuid primary key,
  title            text not null,
  status           text not null check (status in ('draft', 'published', 'completed', 'cancelled', 'deleted')),
  starts_at        timestamptz not null,
  capacity         integer not null check (capacity > 0),
  price            numeric(10, 2) not null check (price >= 0),
  currency         char(3) not null,
  max_per_booking  integer not null check (max_per_booking > 0),
  max_per_user     integer not null check (max_per_user > 0),
  entity_version   integer not null check (entity_version > 0)
);

-- The seats of an event. Every seat is available, held (a live hold or a waitlist offer) or
-- confirmed, and none is ever counted twice or lost: the database refuses any other state. `total`
-- is the capacity, or more while a capacity cut leaves more seats taken than the new capacity: then
-- nothing is available, and each seat given back shrinks `total` until it is the capacity again.
create table bookings.ledgers (
  event_id   uuid primary key,
  capacity   integer not null check (capacity > 0),
  total      integer not null check (total >= capacity),
  available  integer not null check (available >= 0),
  held       integer not null check (held >= 0),
  confirmed  integer not null check (confirmed >= 0),
  -- Bumped by every change; bookings.availability.changed carries it.
  version    bigint not null default 1 check (version > 0),
  check (available + held + confirmed = total),
  -- Above the capacity, no seat is for sale.
  check (total = capacity or available = 0)
);

create table bookings.bookings (
  id            uuid primary key,
  reference     text not null unique check (reference ~ '^BK-[0-9]{8}-[0-9A-Z]{8}$'),
  user_id       uuid not null,
  event_id      uuid not null,
  quantity      integer not null check (quantity > 0),
  status        text not null check (status in ('pending', 'confirmed', 'cancelled', 'expired', 'refunded')),
  -- The price of the seats when they were held: later price changes do not move it.
  -- Up to 1,000 seats at the highest price an event may have (99,999,999.99).
  amount        numeric(14, 2) not null check (amount >= 0),
  currency      char(3) not null,
  notes         text check (char_length(notes) <= 1000),
  expires_at    timestamptz not null,
  payment_ref   text,
  cancel_reason text check (char_length(cancel_reason) <= 500),
  -- Bumped by every change: each change is a compare-and-set on status and version.
  version       integer not null default 1 check (version > 0),
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  confirmed_at  timestamptz,
  cancelled_at  timestamptz,
  expired_at    timestamptz,
  refunded_at   timestamptz
);
create index bookings_user on bookings.bookings (user_id, created_at desc, id desc);
create index bookings_event on bookings.bookings (event_id, status);
-- The expiry sweep reads live holds oldest first.
create index bookings_holds_due on bookings.bookings (expires_at) where status = 'pending';

-- The seats each user holds or bought per event, so the per-user cap is one conditional upsert that
-- parallel requests of one user cannot race past.
create table bookings.user_seats (
  user_id   uuid not null,
  event_id  uuid not null,
  seats     integer not null check (seats >= 0),
  primary key (user_id, event_id)
);

-- Idempotency-Key of POST /bookings, per user, kept a day: the same key and body give the same booking.
create table bookings.idempotency_keys (
  user_id       uuid not null,
  key           text not null,
  request_hash  text not null,
  booking_id    uuid not null,
  created_at    timestamptz not null default now(),
  primary key (user_id, key)
);
create index idempotency_keys_created on bookings.idempotency_keys (created_at);

-- One row per change of a booking, never updated or deleted (not even with the booking).
create table bookings.audit_log (
  id          bigint generated always as identity primary key,
  booking_id  uuid not null,
  event_id    uuid not null,
  actor_id    uuid,
  -- 'system' for the expiry sweep and the cancellation of an event.
  actor_role  text not null check (actor_role in ('user', 'admin', 'system')),
  action      text not null,
  before      jsonb,
  after       jsonb not null,
  reason      text,
  request_id  text,
  ip          text,
  user_agent  text,
  at          timestamptz not null default now()
);
create index audit_log_booking on bookings.audit_log (booking_id, id);
create index audit_log_at on bookings.audit_log (at desc, id desc);

create function bookings.audit_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'bookings.audit_log is append-only';
end $$;
create trigger audit_log_append_only before update or delete on bookings.audit_log
  for each row execute function bookings.audit_log_append_only();
