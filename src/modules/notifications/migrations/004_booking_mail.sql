-- What the booking, waitlist and event emails need, from the module's own projections (SPEC §7:
-- never another service's tables). Each row keeps the version of the newest message applied.

-- The catalogue as mails show it: title, place and time in the event's time zone.
create table notifications.events (
  event_id    uuid primary key,
  title       text,
  venue       text,
  starts_at   timestamptz,
  ends_at     timestamptz,
  timezone    text,
  -- draft, published, completed, cancelled, or deleted (a tombstone).
  status      text not null,
  version     integer not null
);

-- Who holds seats for an event: the attendees told when its time or place changes.
create table notifications.attendees (
  booking_id  uuid primary key,
  event_id    uuid not null,
  user_id     uuid not null,
  status      text not null,
  version     integer not null
);
create index attendees_live on notifications.attendees (event_id, user_id) where status in ('pending', 'confirmed');

-- Files sent with a mail (a confirmed booking's calendar entry), shown by the dev mailbox.
alter table notifications.dev_mailbox add column attachments jsonb not null default '[]';
