-- Events a consumer group could not handle: retried in the background while the group goes on
-- with later events, and kept for good ('dead') once their attempts are spent, until replayed.
-- One table for both buses, in PostgreSQL, so dead letters survive a Redis that keeps nothing.
create table platform.failed_events (
  group_name      text not null,
  -- The event's id; for a bus entry that held no decodable event, a key naming the entry.
  event_key       text not null,
  event_type      text,
  event           jsonb,
  -- The entry as it was, when it could not be decoded.
  raw             text,
  status          text not null check (status in ('retrying', 'dead')),
  attempts        integer not null check (attempts >= 0),
  last_error      text not null,
  first_failed_at timestamptz not null default now(),
  last_failed_at  timestamptz not null default now(),
  next_attempt_at timestamptz,
  -- A retry in progress: the process that claimed it owns it until then.
  claimed_until   timestamptz,
  replayed_at     timestamptz,
  primary key (group_name, event_key)
);
create index failed_events_due on platform.failed_events (next_attempt_at) where status = 'retrying';
