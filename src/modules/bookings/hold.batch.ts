import { sql } from 'kysely';
import { AppError, type Tx } from '../../kernel/index.js';
import { audit, findBooking, newReference, type Booking } from './booking.repository.js';
import { bookingMessage } from './booking.events.js';
import type { BookingsDeps } from './bookings.deps.js';
import { holdRow, keyReused, notOnSale, overUserCap, soldOut, type HoldRequest, type HoldResult, type HoldWriter } from './hold.js';
import { availabilityChanged, forSale, takeSeats } from './ledger.repository.js';

interface Waiting {
  request: HoldRequest;
  resolve: (r: HoldResult) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: HoldResult } | { error: AppError };

/**
 * Holds grouped into one transaction per event: while one batch of an event commits, the holds that
 * arrive wait and go together in the next (at most `maxBatch`, one per user). A batch takes its
 * keys, the users' caps and, in one statement, the seats of every hold that fits (the ledger row is
 * locked once per batch, not once per hold), then writes the bookings, audit rows and messages (one
 * availability message per batch) and commits. A hold that arrives when none is in flight goes at
 * once: batching adds no wait, it only shares the commit.
 */
export function batchWriter(deps: Pick<BookingsDeps, 'transaction' | 'outbox' | 'config' | 'glance'>, maxBatch: number): HoldWriter {
  const queues = new Map<string, Waiting[]>();

  /** Takes the next batch from the queue: arrival order, at most `maxBatch`, one hold per user. */
  function nextBatch(queue: Waiting[]): Waiting[] {
    const batch: Waiting[] = [];
    const users = new Set<string>();
    for (let i = 0; i < queue.length && batch.length < maxBatch;) {
      const w = queue[i]!;
      if (users.has(w.request.actor.id)) {
        i++;
        continue;
      }
      users.add(w.request.actor.id);
      batch.push(w);
      queue.splice(i, 1);
    }
    return batch;
  }

  /**
   * Writes a batch and answers each of its holds. A batch that fails as a whole for a reason of its
   * own (not an unavailable database) is tried again hold by hold, so one bad hold fails alone.
   */
  async function settle(batch: Waiting[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await deps.transaction((trx) => writeBatch(deps, trx, batch.map((w) => w.request)));
    } catch (err) {
      const unavailable = err instanceof AppError && (err.status === 503 || err.status === 429);
      if (batch.length > 1 && !unavailable) {
        for (const w of batch) await settle([w]);
        return;
      }
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if ('ok' in o) w.resolve(o.ok);
      else w.reject(o.error);
    });
  }

  /** Writes the event's queue batch after batch until it is empty; every hold in it is answered. */
  async function drain(eventId: string): Promise<void> {
    const queue = queues.get(eventId)!;
    try {
      while (queue.length) await settle(nextBatch(queue));
    } catch (err) {
      for (const w of queue.splice(0)) w.reject(err);
    } finally {
      queues.delete(eventId);
    }
  }

  return {
    strategy: 'batch',
    hold(request) {
      return new Promise<HoldResult>((resolve, reject) => {
        const queue = queues.get(request.event_id);
        if (queue) {
          queue.push({ request, resolve, reject });
          return;
        }
        queues.set(request.event_id, [{ request, resolve, reject }]);
        // drain answers every hold it takes, and rejects the rest if it ever fails itself.
        void drain(request.event_id);
      });
    },
  };
}

/** One batch of holds of one event, in the caller's transaction. May run again if it is retried. */
async function writeBatch(deps: Pick<BookingsDeps, 'outbox' | 'config' | 'glance'>, trx: Tx, requests: HoldRequest[]): Promise<Outcome[]> {
  const outcomes: (Outcome | undefined)[] = new Array(requests.length);
  const eventId = requests[0]!.event_id;

  // 1. Idempotency keys: a key already used gives its booking (or 422 for another body).
  const keyed = requests.filter((r) => r.key);
  if (keyed.length) {
    const claimed = new Set((await sql<{ user_id: string }>`
      insert into bookings.idempotency_keys (user_id, key, request_hash, booking_id)
      select * from unnest(${keyed.map((r) => r.actor.id)}::uuid[], ${keyed.map((r) => r.key!.key)}::text[], ${keyed.map((r) => r.key!.hash)}::text[], ${keyed.map((r) => r.id)}::uuid[])
      on conflict (user_id, key) do update set request_hash = excluded.request_hash, booking_id = excluded.booking_id, created_at = now()
        where bookings.idempotency_keys.created_at < now() - interval '24 hours'
      returning user_id`.execute(trx)).rows.map((row) => row.user_id));
    const earlier = keyed.filter((r) => !claimed.has(r.actor.id));
    if (earlier.length) {
      const rows = (await trx.selectFrom('bookings.idempotency_keys').select(['user_id', 'key', 'request_hash', 'booking_id'])
        .where((eb) => eb.or(earlier.map((r) => eb.and([eb('user_id', '=', r.actor.id), eb('key', '=', r.key!.key)])))).execute());
      for (const r of earlier) {
        const row = rows.find((x) => x.user_id === r.actor.id && x.key === r.key!.key)!;
        if (row.request_hash !== r.key!.hash) {
          outcomes[requests.indexOf(r)] = { error: keyReused() };
          continue;
        }
        const booking = await findBooking(trx, row.booking_id);
        if (!booking) throw new Error(`idempotency key of ${r.actor.id} names booking ${row.booking_id}, which does not exist`);
        outcomes[requests.indexOf(r)] = { ok: { booking, replayed: true } };
      }
    }
  }

  // 2. Users' caps, in user order (every writer locks users' rows in that order: no deadlock).
  const capped = requests.filter((_, i) => !outcomes[i]).sort((a, b) => (a.actor.id < b.actor.id ? -1 : 1));
  const passed = new Set(capped.length ? (await sql<{ user_id: string }>`
    insert into bookings.user_seats (user_id, event_id, seats)
    select u, ${eventId}::uuid, q from unnest(${capped.map((r) => r.actor.id)}::uuid[], ${capped.map((r) => r.quantity)}::int[]) as t(u, q)
    on conflict (user_id, event_id) do update set seats = bookings.user_seats.seats + excluded.seats
      where bookings.user_seats.seats + excluded.seats <= ${requests[0]!.maxPerUser}
    returning user_id`.execute(trx)).rows.map((row) => row.user_id) : []);
  requests.forEach((r, i) => {
    if (!outcomes[i] && !passed.has(r.actor.id)) outcomes[i] = { error: overUserCap(r.maxPerUser) };
  });

  // 3. The seats, in arrival order, in one statement: from here the event's row is locked.
  const candidates = requests.filter((_, i) => !outcomes[i]);
  if (!candidates.length) {
    await forgetKeys(trx, requests.filter((r, i) => r.key && 'error' in outcomes[i]!));
    return outcomes as Outcome[];
  }
  const taken = await takeSeats(trx, eventId, candidates.map((r) => r.quantity));
  if (taken) deps.glance.saw(eventId, forSale(taken));
  const granted = candidates.filter((_, i) => taken?.granted[i]);
  const refused = candidates.filter((_, i) => !taken?.granted[i]);
  for (const r of refused) outcomes[requests.indexOf(r)] = { error: taken?.on_sale ? soldOut(forSale(taken)) : notOnSale() };
  if (refused.length) {
    await sql`
      update bookings.user_seats s set seats = s.seats - t.q
      from unnest(${refused.map((r) => r.actor.id)}::uuid[], ${refused.map((r) => r.quantity)}::int[]) as t(u, q)
      where s.user_id = t.u and s.event_id = ${eventId}::uuid`.execute(trx);
  }
  await forgetKeys(trx, requests.filter((r, i) => r.key && outcomes[i] && 'error' in outcomes[i]!));
  if (!granted.length) return outcomes as Outcome[];

  // 4. The bookings, their audit rows and messages, and one availability message for the batch.
  const bookings = (await trx.insertInto('bookings.bookings')
    .values(granted.map((r) => ({ ...holdRow(r, newReference(), deps.config.holdMs), status: 'pending' })))
    .returningAll().execute()) as Booking[];
  const byId = new Map(bookings.map((b) => [b.id, b]));
  await audit(trx, granted.map((r) => ({ booking: byId.get(r.id)!, before: null, action: 'held', actor: r.actor, request: r.actor.request })));
  await deps.outbox.add(trx, ...bookings.map((b) => bookingMessage('bookings.booking.held', b)), availabilityChanged({ ...taken!, event_id: eventId }));
  for (const r of granted) outcomes[requests.indexOf(r)] = { ok: { booking: byId.get(r.id)!, replayed: false } };
  return outcomes as Outcome[];
}

/** A refused hold keeps no key (as if it had rolled back): its retry is tried again, not replayed. */
async function forgetKeys(trx: Tx, refused: HoldRequest[]): Promise<void> {
  // Only keys this batch claimed (their booking id is the request's); a replay's key is not ours.
  if (!refused.length) return;
  await trx.deleteFrom('bookings.idempotency_keys').where('booking_id', 'in', refused.map((r) => r.id)).execute();
}
