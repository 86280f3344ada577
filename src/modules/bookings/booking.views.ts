import type { Booking } from './booking.repository.js';
import type { BookingView } from './bookings.schemas.js';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function bookingView(b: Booking): BookingView {
  return {
    id: b.id,
    reference: b.reference,
    event_id: b.event_id,
    user_id: b.user_id,
    quantity: b.quantity,
    status: b.status,
    amount: b.amount,
    currency: b.currency,
    notes: b.notes,
    expires_at: b.status === 'pending' ? b.expires_at.toISOString() : null,
    cancel_reason: b.cancel_reason,
    version: b.version,
    created_at: b.created_at.toISOString(),
    updated_at: b.updated_at.toISOString(),
    confirmed_at: iso(b.confirmed_at),
    cancelled_at: iso(b.cancelled_at),
    expired_at: iso(b.expired_at),
    refunded_at: iso(b.refunded_at),
  };
}

export function statusView(b: Booking, now = Date.now()) {
  const pending = b.status === 'pending';
  return {
    id: b.id,
    reference: b.reference,
    status: b.status,
    expires_at: pending ? b.expires_at.toISOString() : null,
    seconds_left: pending ? Math.max(0, Math.floor((b.expires_at.getTime() - now) / 1000)) : null,
    version: b.version,
  };
}
