-- Money owed back, one row per payment. Written in the transaction that owes it (a refund, the
-- cancellation of an event), or, for a payment that lost its race with the hold's expiry, before
-- the provider is asked; sent after the commit, and retried by the sweep until the provider takes
-- it, so a crash or a provider outage between the two never loses a refund.
create table bookings.refunds (
  payment_ref  text primary key,
  booking_id   uuid not null,
  reference    text not null,
  amount       numeric(14, 2) not null check (amount >= 0),
  currency     char(3) not null,
  state        text not null default 'due' check (state in ('due', 'sent')),
  attempts     integer not null default 0 check (attempts >= 0),
  -- When the next attempt may start: a claim pushes it ahead (a lease), a failure backs it off.
  next_at      timestamptz not null default now(),
  last_error   text,
  created_at   timestamptz not null default now(),
  sent_at      timestamptz
);
create index refunds_due on bookings.refunds (next_at) where state = 'due';
