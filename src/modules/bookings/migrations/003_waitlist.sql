-- The waitlist of sold-out events. An entry waits in line (priority, then join time), is offered
-- seats that are held for it until `offer_expires_at`, and is converted into a booking when accepted.
-- Offered seats count as held in the ledger, like a live hold.
create table bookings.waitlist (
  id                uuid primary key,
  user_id           uuid not null,
  event_id          uuid not null,
  quantity          integer not null check (quantity > 0),
  -- Higher goes first; admins change it.
  priority          integer not null default 0 check (priority between -1000 and 1000),
  status            text not null check (status in ('waiting', 'offered', 'converted', 'cancelled', 'expired')),
  joined_at         timestamptz not null default now(),
  offered_at        timestamptz,
  offer_expires_at  timestamptz,
  -- The booking an accepted offer became.
  booking_id        uuid,
  reason            text check (char_length(reason) <= 500),
  version           integer not null default 1 check (version > 0),
  updated_at        timestamptz not null default now(),
  check (status <> 'offered' or offer_expires_at is not null),
  check (status <> 'converted' or booking_id is not null)
);
-- One live entry per user and event; rejoining after a cancellation or expiry is allowed.
create unique index waitlist_one_live on bookings.waitlist (user_id, event_id) where status in ('waiting', 'offered');
-- The line of an event, head first.
create index waitlist_line on bookings.waitlist (event_id, priority desc, joined_at, id) where status = 'waiting';
-- The sweep reads offers running out, oldest first.
create index waitlist_offers_due on bookings.waitlist (offer_expires_at) where status = 'offered';
create index waitlist_user on bookings.waitlist (user_id, joined_at desc, id desc);

-- How many entries wait in the event's line, kept under the ledger's row lock by every change of the
-- line. While anyone waits, no seat is sold to the public: released seats go to the head of the line.
alter table bookings.ledgers add column waiting integer not null default 0 check (waiting >= 0);

-- take_seats as before, and nothing for the public while anyone waits in the event's line.
drop function bookings.take_seats(uuid, integer[]);
create function bookings.take_seats(p_event uuid, p_quantities integer[])
returns table (on_sale boolean, granted boolean[], capacity integer, total integer, available integer, held integer, confirmed integer, waiting integer, version bigint)
language plpgsql as $$
declare
  left_now integer;
  in_line integer;
  taken integer := 0;
  result boolean[] := '{}';
  selling boolean;
  q integer;
begin
  select l.available, l.waiting into left_now, in_line from bookings.ledgers l where l.event_id = p_event for update;
  if not found then
    return;
  end if;
  -- A statement of its own: it sees what committed before the lock was granted.
  select exists (select 1 from bookings.events e where e.event_id = p_event and e.status = 'published' and e.starts_at > now()) into selling;
  foreach q in array p_quantities loop
    if selling and in_line = 0 and q <= left_now then
      left_now := left_now - q;
      taken := taken + q;
      result := result || true;
    else
      result := result || false;
    end if;
  end loop;
  if taken = 0 then
    return query select selling, result, l.capacity, l.total, l.available, l.held, l.confirmed, l.waiting, l.version from bookings.ledgers l where l.event_id = p_event;
    return;
  end if;
  return query
    update bookings.ledgers l set available = l.available - taken, held = l.held + taken, version = l.version + 1
    where l.event_id = p_event
    returning selling, result, l.capacity, l.total, l.available, l.held, l.confirmed, l.waiting, l.version;
end $$;
