-- The module's own copy of what it needs from auth users (SPEC §7: never read auth's tables).
-- Each field remembers the occurred_at of the event that set it, so a late, older event never
-- overwrites a newer value; deleted_at is a tombstone so a late event cannot bring a user back.
create table notifications.recipients (
  user_id       uuid primary key,
  email         text,
  email_at      timestamptz,
  username      text,
  name          text,
  name_at       timestamptz,
  deleted_at    timestamptz,
  updated_at    timestamptz not null
);

-- One row per email that should exist: the unique key is what makes "at most once per (event,
-- recipient, template)" hold whatever the bus and the queue redeliver.
create table notifications.mail_log (
  event_id      uuid not null,
  user_id       uuid not null,
  template      text not null,
  -- The address from the event, when the event carried one; otherwise the projection's at send time.
  to_email      text,
  -- What the template needs besides the recipient; secrets (an OTP) are removed once the row is final.
  data          jsonb not null default '{}',
  status        text not null default 'queued' check (status in ('queued', 'sent', 'failed')),
  attempts      integer not null default 0,
  last_error    text,
  message_id    text,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  sent_at       timestamptz,
  primary key (event_id, user_id, template)
);
-- The sweep looks for rows whose job may have been lost.
create index mail_log_queued on notifications.mail_log (created_at) where status = 'queued';

create table notifications.dev_mailbox (
  id            uuid primary key,
  "to"          text not null,
  subject       text not null,
  text          text not null,
  html          text not null,
  template      text not null,
  created_at    timestamptz not null default now()
);
create index dev_mailbox_newest on notifications.dev_mailbox (created_at desc, id desc);
