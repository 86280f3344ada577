import type { Placed } from './waitlist-read.service.js';
import type { EntryView } from './waitlist.schemas.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;
const secondsLeft = (until: Date | null, now = Date.now()) => (until ? Math.max(0, Math.floor((until.getTime() - now) / 1000)) : null);

export function entryView({ entry: e, position }: Placed): EntryView {
  const offered = e.status === 'offered';
  return {
    id: e.id,
    event_id: e.event_id,
    user_id: e.user_id,
    quantity: e.quantity,
    priority: e.priority,
    status: e.status,
    position: e.status === 'waiting' ? position : null,
    joined_at: e.joined_at.toISOString(),
    offered_at: iso(e.offered_at),
    offer_expires_at: offered ? iso(e.offer_expires_at) : null,
    seconds_left: offered ? secondsLeft(e.offer_expires_at) : null,
    booking_id: e.booking_id,
    reason: e.reason,
    version: e.version,
    updated_at: e.updated_at.toISOString(),
  };
}

export function positionView(p: Placed & { waiting: number }) {
  const v = entryView(p);
  return { id: v.id, status: v.status, position: v.position, waiting: p.waiting, offer_expires_at: v.offer_expires_at, seconds_left: v.seconds_left };
}
