import type { EventRecord } from './event.repository.js';
import type { Capacity, EventView } from './events.schemas.js';
import { localTime } from './zones.js';

/** Seats left: capacity less what the ledger holds or sold (never below 0 after a capacity cut). */
export const available = (e: EventRecord): number => Math.max(0, e.capacity - e.taken);

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** An event as clients see it; `created_by` for admins only. `now` decides `is_upcoming`. */
export function eventView(e: EventRecord, now: Date, admin = false): EventView {
  return {
    id: e.id,
    title: e.title,
    description: e.description,
    venue: e.venue,
    category: e.category,
    starts_at: e.starts_at.toISOString(),
    ends_at: iso(e.ends_at),
    timezone: e.timezone,
    local_starts_at: localTime(e.starts_at, e.timezone),
    local_ends_at: e.ends_at && localTime(e.ends_at, e.timezone),
    capacity: e.capacity,
    available: available(e),
    price: e.price,
    currency: e.currency,
    max_per_booking: e.max_per_booking,
    max_per_user: e.max_per_user ?? e.max_per_booking,
    status: e.status,
    is_upcoming: e.starts_at > now,
    cancel_reason: e.cancel_reason,
    version: e.version,
    created_at: e.created_at.toISOString(),
    updated_at: e.updated_at.toISOString(),
    published_at: iso(e.published_at),
    cancelled_at: iso(e.cancelled_at),
    completed_at: iso(e.completed_at),
    ...(admin ? { created_by: e.created_by } : {}),
  };
}

export function capacityView(e: EventRecord): Capacity {
  const left = available(e);
  return {
    event_id: e.id,
    status: e.status,
    capacity: e.capacity,
    available: left,
    sold_out: left === 0,
    max_per_booking: e.max_per_booking,
    max_per_user: e.max_per_user ?? e.max_per_booking,
  };
}
