/**
 * What one entity adds to the read models, computed from analytics' copy of it alone. A message
 * changes the models by (contribution after − contribution before); since the copy after a set of
 * messages is the same whatever their order and however often each came (newest version wins,
 * each step's time is the time of its own message), so are the totals.
 */

export type Table = 'event_stats' | 'daily_stats' | 'daily_revenue';

/** Counters of one row of one read model (a row is created at zero when first touched). */
export interface Part {
  table: Table;
  key: Record<string, string>;
  values: Record<string, number>;
}

export type Contribution = Part[];

export interface BookingCopy {
  event_id: string;
  quantity: number;
  amount_minor: number;
  currency: string;
  status: 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'refunded';
  held_at: Date | null;
  confirmed_at: Date | null;
  ended_at: Date | null;
}

export interface WaitlistCopy {
  event_id: string;
  status: 'waiting' | 'offered' | 'converted' | 'cancelled' | 'expired';
  joined_at: Date | null;
  offered_at: Date | null;
  ended_at: Date | null;
}

export interface UserCopy {
  registered_at: Date | null;
}

/** The UTC day of the first known time: a step whose own message has not come yet is placed on a neighbour's day until it does. */
function day(...times: (Date | null)[]): string {
  const t = times.find((x): x is Date => x !== null);
  // Every copy is made from a message that sets one of its times, so one is always known.
  if (!t) throw new Error('analytics: an entity copy without any time');
  return t.toISOString().slice(0, 10);
}

const flag = (b: boolean) => (b ? 1 : 0);

export function bookingContribution(b: BookingCopy): Contribution {
  const confirmed = b.status === 'confirmed';
  const refunded = b.status === 'refunded';
  // A refunded booking was confirmed first; the only ways into cancelled and expired are from a hold.
  const wasSold = confirmed || refunded;
  const ended = b.status === 'cancelled' || b.status === 'expired' || refunded;
  const parts: Part[] = [{
    table: 'event_stats',
    key: { event_id: b.event_id },
    values: {
      holds: 1,
      confirmed: flag(confirmed),
      tickets_sold: confirmed ? b.quantity : 0,
      pending: flag(b.status === 'pending'),
      pending_tickets: b.status === 'pending' ? b.quantity : 0,
      cancelled: flag(b.status === 'cancelled'),
      expired: flag(b.status === 'expired'),
      refunded: flag(refunded),
      tickets_refunded: refunded ? b.quantity : 0,
      gross_minor: wasSold ? b.amount_minor : 0,
      refunds_minor: refunded ? b.amount_minor : 0,
    },
  }, {
    table: 'daily_stats',
    key: { day: day(b.held_at, b.confirmed_at, b.ended_at) },
    values: { holds: 1 },
  }];
  if (wasSold) {
    const d = day(b.confirmed_at, b.ended_at, b.held_at);
    parts.push({ table: 'daily_stats', key: { day: d }, values: { confirmed: 1, tickets_sold: b.quantity } });
    parts.push({ table: 'daily_revenue', key: { day: d, currency: b.currency }, values: { gross_minor: b.amount_minor } });
  }
  if (ended) {
    const d = day(b.ended_at, b.confirmed_at, b.held_at);
    parts.push({ table: 'daily_stats', key: { day: d }, values: { [b.status]: 1, ...(refunded ? { tickets_refunded: b.quantity } : {}) } });
    if (refunded) parts.push({ table: 'daily_revenue', key: { day: d, currency: b.currency }, values: { refunds_minor: b.amount_minor } });
  }
  return parts;
}

export function waitlistContribution(w: WaitlistCopy): Contribution {
  // An entry was offered seats if it is (or was converted from) an offer, or its offer message came.
  const offered = w.status === 'offered' || w.status === 'converted' || w.offered_at !== null;
  const parts: Part[] = [{
    table: 'event_stats',
    key: { event_id: w.event_id },
    values: { waitlist_joined: 1, waitlist_waiting: flag(w.status === 'waiting'), waitlist_offered: flag(offered), waitlist_converted: flag(w.status === 'converted') },
  }, {
    table: 'daily_stats',
    key: { day: day(w.joined_at, w.offered_at, w.ended_at) },
    values: { waitlist_joined: 1 },
  }];
  if (offered) parts.push({ table: 'daily_stats', key: { day: day(w.offered_at, w.ended_at, w.joined_at) }, values: { waitlist_offered: 1 } });
  return parts;
}

/** A user counts as new on the day of their registration, once its message has come. */
export function userContribution(u: UserCopy): Contribution {
  return u.registered_at ? [{ table: 'daily_stats', key: { day: day(u.registered_at) }, values: { new_users: 1 } }] : [];
}

const partId = (p: Part) => `${p.table}|${Object.entries(p.key).map(([k, v]) => `${k}=${v}`).join('|')}`;

/**
 * after − before, part by part, without the rows that do not move; in a fixed order (table, then
 * key), so two transactions touching the same rows lock them in the same order.
 */
export function difference(before: Contribution, after: Contribution): Contribution {
  const out = new Map<string, Part>();
  const add = (p: Part, sign: 1 | -1) => {
    const id = partId(p);
    const acc = out.get(id) ?? { table: p.table, key: p.key, values: {} };
    for (const [k, v] of Object.entries(p.values)) acc.values[k] = (acc.values[k] ?? 0) + sign * v;
    out.set(id, acc);
  };
  for (const p of before) add(p, -1);
  for (const p of after) add(p, 1);
  const order: Table[] = ['event_stats', 'daily_stats', 'daily_revenue'];
  return [...out.entries()]
    .map(([id, p]) => ({ id, p: { ...p, values: Object.fromEntries(Object.entries(p.values).filter(([, v]) => v !== 0)) } }))
    .filter(({ p }) => Object.keys(p.values).length > 0)
    .sort((a, b) => order.indexOf(a.p.table) - order.indexOf(b.p.table) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(({ p }) => p);
}

/** "12.50" → 1250: money in minor units, never through a float. */
export function toMinor(amount: string): number {
  const m = /^(\d+)\.(\d{2})$/.exec(amount);
  if (!m) throw new Error(`analytics: not a two-decimal amount: ${amount}`);
  return Number(m[1]) * 100 + Number(m[2]);
}

/** 1250 → "12.50". */
export function fromMinor(minor: number | bigint | string): string {
  const n = BigInt(minor);
  const sign = n < 0n ? '-' : '';
  const abs = n < 0n ? -n : n;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
