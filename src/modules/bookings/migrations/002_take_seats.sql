-- Holds for a batch of requests of one event in one statement: each request, in order, gets its
-- seats if they are still there (a request that does not fit does not stop a smaller one after it).
-- The ledger row is locked first, once for the whole batch; then the event is checked on sale, so a
-- cancellation (which locks the same row before cancelling the event's bookings) and a hold never
-- miss each other: either the hold commits first and is cancelled with the rest, or it sees the
-- event cancelled and takes nothing.
create function bookings.take_seats(p_event uuid, p_quantities integer[])
returns table (on_sale boolean, granted boolean[], capacity integer, total integer, available integer, held integer, confirmed integer, version bigint)
language plpgsql as $$
declare
  left_now integer;
  taken integer := 0;
  result boolean[] := '{}';
  selling boolean;
  q integer;
begin
  select l.available into left_now from bookings.ledgers l where l.event_id = p_event for update;
  if not found then
    return;
  end if;
  -- A statement of its own: it sees what committed before the lock was granted.
  select exists (select 1 from bookings.events e where e.event_id = p_event and e.status = 'published' and e.starts_at > now()) into selling;
  foreach q in array p_quantities loop
    if selling and q <= left_now then
      left_now := left_now - q;
      taken := taken + q;
      result := result || true;
    else
      result := result || false;
    end if;
  end loop;
  if taken = 0 then
    return query select selling, result, l.capacity, l.total, l.available, l.held, l.confirmed, l.version from bookings.ledgers l where l.event_id = p_event;
    return;
  end if;
  return query
    update bookings.ledgers l set available = l.available - taken, held = l.held + taken, version = l.version + 1
    where l.event_id = p_event
    returning selling, result, l.capacity, l.total, l.available, l.held, l.confirmed, l.version;
end $$;
