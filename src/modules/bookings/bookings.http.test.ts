/**
 * SPEC §5 bookings through HTTP on the real app: hold, confirm, cancel and refund with the ledger
 * moving once per change, limits, idempotency, ownership, the audit trail, hold expiry and a late
 * confirm, and the cancellation of an event cascading to its bookings.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, book, eventOnSale, seats } from '../../../test/support/bookings.js';
import { ADMIN_EVENTS, assertError, createEvent } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { openSse } from '../../../test/support/sse.js';
import type { App } from '../../kernel/index.js';

describe('bookings over HTTP', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  let alice: { access_token: string; user_id: string };
  let bob: { access_token: string; user_id: string };

  before(async () => {
    t = await startTestEvently({ redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV, BOOKINGS_EXPIRE_EVERY_S: '1' } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    alice = await signUp(app, `alice-${Date.now()}@example.com`);
    bob = await signUp(app, `bob-${Date.now()}@example.com`);
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('hold → confirm → cancel (refund): each change moves the ledger once, is audited and published', async () => {
    const e = await eventOnSale(app, admin, { capacity: 10, price: '12.50' });
    const held = await book(app, alice.access_token, e.id, 3);
    assert.equal(held.status, 201, JSON.stringify(held.body));
    assert.match(held.body.reference, /^BK-\d{8}-[0-9A-Z]{8}$/);
    assert.equal(held.body.status, 'pending');
    assert.equal(held.body.amount, '37.50');
    const left = Date.parse(held.body.expires_at) - Date.now();
    assert.ok(left > 14 * 60_000 && left <= 15 * 60_000, `a 15-minute hold (${left} ms)`);
    assert.deepEqual(pick(await seats(app, e.id)), { total: 10, available: 7, held: 3, confirmed: 0 });

    const confirmed = await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/confirm`, { token: alice.access_token });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    assert.equal(confirmed.body.status, 'confirmed');
    assert.equal(confirmed.body.expires_at, null);
    assert.deepEqual(pick(await seats(app, e.id)), { total: 10, available: 7, held: 0, confirmed: 3 });
    // Confirming twice is harmless: the same booking, no second move.
    assert.equal((await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/confirm`, { token: alice.access_token })).body.version, confirmed.body.version);

    const cancelled = await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/cancel`, { token: alice.access_token, body: { reason: 'cannot come' } });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal(cancelled.body.status, 'refunded');
    assert.deepEqual(pick(await seats(app, e.id)), { total: 10, available: 10, held: 0, confirmed: 0 });
    assertError(await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/cancel`, { token: alice.access_token }), 409, 'BOOKING_STATE_CONFLICT', 'cancel twice');

    const trail = await call(app, 'GET', `${BOOKINGS}/${held.body.id}/audit`, { token: alice.access_token });
    assert.deepEqual(trail.body.map((a: { action: string }) => a.action), ['held', 'confirmed', 'refunded']);
    assert.equal(trail.body[2].reason, 'cannot come');
    const messages = await sqlRows<{ type: string }>(t.database.url, "select type from bookings.outbox where payload->>'booking_id' = $1 order by seq", [held.body.id]);
    assert.deepEqual(messages.map((m) => m.type), ['bookings.booking.held', 'bookings.booking.confirmed', 'bookings.booking.refunded']);
    // The catalogue shows the seats the ledger reports.
    await eventually(async () => ((await call(app, 'GET', `/api/v1/events/${e.id}`)).body.available === 10 ? true : undefined), 'the catalogue seats');
  });

  it('refuses what cannot be booked: sold out (no write), limits per booking and per user, events not on sale', async () => {
    const e = await eventOnSale(app, admin, { capacity: 5, max_per_booking: 4, max_per_user: 4 });
    assert.equal((await book(app, alice.access_token, e.id, 4)).status, 201);
    assertError(await book(app, alice.access_token, e.id, 1), 409, 'LIMIT_EXCEEDED', 'past max_per_user');
    assertError(await book(app, bob.access_token, e.id, 5), 409, 'LIMIT_EXCEEDED', 'past max_per_booking');
    assertError(await book(app, bob.access_token, e.id, 2), 409, 'SOLD_OUT', 'two of one left');
    assert.equal((await book(app, bob.access_token, e.id, 1)).status, 201);
    const before = (await sqlRows<{ n: number }>(t.database.url, 'select count(*)::int as n from bookings.bookings'))[0]!.n;
    assertError(await book(app, bob.access_token, e.id, 1), 409, 'SOLD_OUT', 'sold out');
    assert.equal((await sqlRows<{ n: number }>(t.database.url, 'select count(*)::int as n from bookings.bookings'))[0]!.n, before, 'nothing written');

    const draft = await createEvent(app, admin);
    assertError(await book(app, alice.access_token, draft.id, 1), 409, 'EVENT_NOT_BOOKABLE', 'a draft');
    assertError(await book(app, alice.access_token, '01a22c1a-f9ea-753f-9a99-24436bf71473', 1), 409, 'EVENT_NOT_BOOKABLE', 'an unknown event');
    assertError(await call(app, 'POST', BOOKINGS, { token: alice.access_token, body: { event_id: e.id, quantity: 0 } }), 400, 'VALIDATION_FAILED', 'quantity 0');
    assertError(await call(app, 'POST', BOOKINGS, { body: { event_id: e.id, quantity: 1 } }), 401, 'UNAUTHENTICATED', 'no token');
  });

  it('Idempotency-Key: the same key and body give one booking, also 20 at once; another body → 422', async () => {
    const e = await eventOnSale(app, admin, { capacity: 50, max_per_user: 50, max_per_booking: 10 });
    const key = { 'idempotency-key': `k-${Date.now()}` };
    const answers = await Promise.all(Array.from({ length: 20 }, () => book(app, alice.access_token, e.id, 2, key)));
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [201], JSON.stringify(answers.map((r) => r.body)));
    assert.equal(new Set(answers.map((r) => r.body.id)).size, 1, 'one booking');
    assert.deepEqual(pick(await seats(app, e.id)), { total: 50, available: 48, held: 2, confirmed: 0 });
    assertError(await book(app, alice.access_token, e.id, 3, key), 422, 'IDEMPOTENCY_KEY_REUSED', 'another body');
    // Keys are per user: Bob's same key is his own.
    assert.notEqual((await book(app, bob.access_token, e.id, 2, key)).body.id, answers[0]!.body.id);
  });

  it('a refused hold keeps no Idempotency-Key: its retry is tried again, not replayed', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1 });
    const bobs = (await book(app, bob.access_token, e.id, 1)).body;
    const key = { 'idempotency-key': `retry-${Date.now()}` };
    assertError(await book(app, alice.access_token, e.id, 1, key), 409, 'SOLD_OUT', 'while Bob holds the seat');
    assert.equal((await call(app, 'PUT', `${BOOKINGS}/${bobs.id}/cancel`, { token: bob.access_token })).status, 200);
    const retried = await book(app, alice.access_token, e.id, 1, key);
    assert.equal(retried.status, 201, JSON.stringify(retried.body));
    assert.equal((await book(app, alice.access_token, e.id, 1, key)).body.id, retried.body.id, 'and now it is replayed');
  });

  it('a user never sees or changes another user\'s booking (404); admins see it', async () => {
    const e = await eventOnSale(app, admin, { capacity: 5 });
    const mine = (await book(app, alice.access_token, e.id, 1)).body;
    for (const [method, path] of [['GET', ''], ['GET', '/status'], ['GET', '/audit'], ['PUT', '/confirm'], ['PUT', '/cancel']] as const) {
      assertError(await call(app, method, `${BOOKINGS}/${mine.id}${path}`, { token: bob.access_token }), 404, 'NOT_FOUND', `${method} ${path} by another user`);
    }
    assert.equal((await call(app, 'GET', `${BOOKINGS}/${mine.id}`, { token: admin })).status, 200);
    const listed = await call(app, 'GET', `${BOOKINGS}?event_id=${e.id}`, { token: bob.access_token });
    assert.equal(listed.body.total, 0);
    const own = await call(app, 'GET', `${BOOKINGS}?event_id=${e.id}`, { token: alice.access_token });
    assert.deepEqual(own.body.items.map((b: { id: string }) => b.id), [mine.id]);
  });

  it('holds expire by themselves, once: seats back, a late confirm → 409 HOLD_EXPIRED', async () => {
    const e = await eventOnSale(app, admin, { capacity: 4 });
    const hold = (await book(app, alice.access_token, e.id, 3)).body;
    await sqlRows(t.database.url, "update bookings.bookings set expires_at = now() - interval '1 second' where id = $1", [hold.id]);
    await eventually(async () => ((await call(app, 'GET', `${BOOKINGS}/${hold.id}/status`, { token: alice.access_token })).body.status === 'expired' ? true : undefined), 'the sweep');
    assert.deepEqual(pick(await seats(app, e.id)), { total: 4, available: 4, held: 0, confirmed: 0 });
    assertError(await call(app, 'PUT', `${BOOKINGS}/${hold.id}/confirm`, { token: alice.access_token }), 409, 'BOOKING_STATE_CONFLICT', 'confirm an expired hold');
    // One that expires between the read and the compare-and-set: HOLD_EXPIRED, nothing taken.
    // Another process may refuse early for up to 250 ms after the seats came back (its glance).
    const late = await eventually(async () => {
      const r = await book(app, alice.access_token, e.id, 2);
      return r.status === 201 ? r.body : undefined;
    }, 'a hold on the seats given back');
    await sqlRows(t.database.url, "update bookings.bookings set expires_at = now() - interval '1 millisecond' where id = $1", [late.id]);
    assertError(await call(app, 'PUT', `${BOOKINGS}/${late.id}/confirm`, { token: alice.access_token }), 409, 'HOLD_EXPIRED', 'a late confirm');
    await eventually(async () => ((await seats(app, e.id)).available === 4 ? true : undefined), 'its seats back');
    const expiredMessages = await sqlRows(t.database.url, "select 1 from bookings.outbox where type = 'bookings.booking.expired' and payload->>'booking_id' = $1", [hold.id]);
    assert.equal(expiredMessages.length, 1, 'expired exactly once');
  });

  it('cancelling an event cancels its holds and refunds its confirmed bookings', async () => {
    const e = await eventOnSale(app, admin, { capacity: 10 });
    const hold = (await book(app, alice.access_token, e.id, 2)).body;
    const paid = (await book(app, bob.access_token, e.id, 3)).body;
    assert.equal((await call(app, 'PUT', `${BOOKINGS}/${paid.id}/confirm`, { token: bob.access_token })).status, 200);
    assert.equal((await call(app, 'POST', `${ADMIN_EVENTS}/${e.id}/cancel`, { token: admin, body: { reason: 'storm' } })).status, 200);
    await eventually(async () => ((await call(app, 'GET', `${BOOKINGS}/${paid.id}`, { token: bob.access_token })).body.status === 'refunded' ? true : undefined), 'the cascade');
    assert.equal((await call(app, 'GET', `${BOOKINGS}/${hold.id}`, { token: alice.access_token })).body.status, 'cancelled');
    assert.deepEqual(pick(await seats(app, e.id)), { total: 10, available: 10, held: 0, confirmed: 0 });
    assertError(await book(app, alice.access_token, e.id, 1), 409, 'EVENT_NOT_BOOKABLE', 'a cancelled event');
  });

  it('admin routes: 401 anonymous, 403 users; stats (reachable, not taken for an id), filters, manual confirm, refund past the cut-off, the sweep now, the audit log', async () => {
    const ADMIN = '/api/v1/admin/bookings';
    const e = await eventOnSale(app, admin, { capacity: 10, price: '5.00' }, 0.5); // starts in 12 h: inside the 24 h cut-off
    const hold = (await book(app, alice.access_token, e.id, 2)).body;
    const routes: [string, string][] = [
      ['GET', ADMIN], ['GET', `${ADMIN}/stats`], ['POST', `${ADMIN}/expire`], ['GET', `${ADMIN}/${hold.id}`], ['PUT', `${ADMIN}/${hold.id}/confirm`],
      ['PUT', `${ADMIN}/${hold.id}/refund`], ['PUT', `${ADMIN}/${hold.id}/cancel`], ['GET', '/api/v1/admin/audit-logs'], ['GET', '/api/v1/availability/stats'],
    ];
    for (const [method, path] of routes) {
      assertError(await call(app, method, path), 401, 'UNAUTHENTICATED', `${method} ${path} anonymous`);
      assertError(await call(app, method, path, { token: bob.access_token }), 403, 'FORBIDDEN', `${method} ${path} as a user`);
    }
    const confirmed = await call(app, 'PUT', `${ADMIN}/${hold.id}/confirm`, { token: admin });
    assert.equal(confirmed.body.status, 'confirmed', JSON.stringify(confirmed.body));
    assertError(await call(app, 'PUT', `${BOOKINGS}/${hold.id}/cancel`, { token: alice.access_token }), 409, 'REFUND_CUTOFF', 'the owner, 12 h before');
    const stats = await call(app, 'GET', `${ADMIN}/stats?event_id=${e.id}`, { token: admin });
    assert.equal(stats.status, 200, JSON.stringify(stats.body));
    assert.deepEqual(stats.body.by_status.confirmed, { bookings: 1, seats: 2 });
    assert.deepEqual(stats.body.revenue, { USD: '10.00' });
    assert.equal((await call(app, 'PUT', `${ADMIN}/${hold.id}/refund`, { token: admin, body: { reason: 'goodwill' } })).body.status, 'refunded');
    const listed = await call(app, 'GET', `${ADMIN}?event_id=${e.id}&status=refunded`, { token: admin });
    assert.deepEqual(listed.body.items.map((b: { id: string }) => b.id), [hold.id]);
    assert.equal((await call(app, 'GET', `${ADMIN}?reference=${hold.reference.toLowerCase()}`, { token: admin })).body.total, 1);
    const late = (await book(app, bob.access_token, e.id, 1)).body;
    await sqlRows(t.database.url, "update bookings.bookings set expires_at = now() - interval '1 second' where id = $1", [late.id]);
    const swept = await call(app, 'POST', `${ADMIN}/expire`, { token: admin });
    assert.equal(swept.status, 200);
    assert.equal((await call(app, 'GET', `${ADMIN}/${late.id}`, { token: admin })).body.status, 'expired');
    const audit = await call(app, 'GET', `/api/v1/admin/audit-logs?booking_id=${hold.id}`, { token: admin });
    assert.deepEqual(audit.body.items.map((a: { action: string }) => a.action), ['refunded', 'confirmed', 'held']);
    assert.equal(audit.body.items[0].reason, 'goodwill');
    assert.equal(audit.body.items[1].actor_role, 'admin');
    assert.ok(audit.body.items[2].request_id, 'the request id of the hold');
    const seatsNow = await call(app, 'GET', '/api/v1/availability/stats', { token: admin });
    assert.equal(seatsNow.status, 200);
    assert.ok(seatsNow.body.events >= 1);
  });

  it('after a capacity cut below the seats taken, seats given back leave the ledger until it is the capacity: never sold twice', async () => {
    const e = await eventOnSale(app, admin, { capacity: 10, max_per_booking: 10, max_per_user: 10 });
    const big = (await book(app, alice.access_token, e.id, 8)).body;
    // A cut the catalogue made before it knew of the hold (its own check refuses it once it knows).
    const [last] = await sqlRows<{ payload: Record<string, unknown> }>(t.database.url, "select payload from events.outbox where payload->>'event_id' = $1 order by seq desc limit 1", [e.id]);
    await t.evently.adapters.bus.publish([{
      id: '01a22c1a-f9ea-753f-9a99-24436bf714a1', type: 'events.event.updated', version: 1, occurredAt: new Date().toISOString(), correlationId: null,
      payload: { ...last!.payload, capacity: 5, entity_version: Number(last!.payload.entity_version) + 10, changed: ['capacity'], schedule_changed: false, venue_changed: false },
    }]);
    await eventually(async () => ((await sqlRows<{ capacity: number }>(t.database.url, 'select capacity from bookings.ledgers where event_id = $1', [e.id]))[0]!.capacity === 5 ? true : undefined), 'the cut applied');
    assert.deepEqual(pick(await seats(app, e.id)), { total: 8, available: 0, held: 8, confirmed: 0 });
    assert.equal((await call(app, 'PUT', `${BOOKINGS}/${big.id}/cancel`, { token: alice.access_token })).status, 200);
    assert.deepEqual(pick(await seats(app, e.id)), { total: 5, available: 5, held: 0, confirmed: 0 });
  });

  it('amounts are exact at the highest price and quantity', async () => {
    const e = await eventOnSale(app, admin, { capacity: 2_000, price: '99999999.99', max_per_booking: 1000, max_per_user: 1000 });
    const r = await book(app, alice.access_token, e.id, 1000);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.amount, '99999999990.00');
  });

  it('the ledger follows the catalogue by version: a capacity edit keeps the seats taken; an old message changes nothing', async () => {
    const e = await eventOnSale(app, admin, { capacity: 5, max_per_user: 5, max_per_booking: 5 });
    assert.equal((await book(app, alice.access_token, e.id, 4)).status, 201);
    assert.equal((await call(app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { capacity: 8 } })).status, 200);
    await eventually(async () => ((await seats(app, e.id)).total === 8 ? true : undefined), 'the new capacity');
    assert.deepEqual(pick(await seats(app, e.id)), { total: 8, available: 4, held: 4, confirmed: 0 });
    // An old message delivered again changes nothing.
    const [created] = await sqlRows<{ payload: unknown }>(t.database.url, "select payload from events.outbox where type = 'events.event.created' and payload->>'event_id' = $1", [e.id]);
    await t.evently.adapters.bus.publish([{ id: '01a22c1a-f9ea-753f-9a99-24436bf71499', type: 'events.event.created', version: 1, occurredAt: new Date().toISOString(), correlationId: null, payload: created!.payload }]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(pick(await seats(app, e.id)), { total: 8, available: 4, held: 4, confirmed: 0 });
  });
  it('the live stream sends the seats at once and each change after, with the ledger version as id; Last-Event-ID resumes', async () => {
    const base = await t.evently.listen();
    const e = await eventOnSale(app, admin, { capacity: 10 });
    const url = `${base}/api/v1/availability/events/${e.id}/stream`;
    const stream = await openSse(url);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const first = await stream.next();
    assert.equal(first.event, 'availability');
    assert.deepEqual(pick(JSON.parse(first.data)), { total: 10, available: 10, held: 0, confirmed: 0 });
    assert.equal(first.id, String(JSON.parse(first.data).version));

    const held = await book(app, alice.access_token, e.id, 3);
    const change = await stream.next();
    assert.deepEqual(pick(JSON.parse(change.data)), { total: 10, available: 7, held: 3, confirmed: 0 });
    assert.ok(Number(change.id) > Number(first.id));
    stream.close();

    // Resuming from the last version seen: nothing until the next change, which comes.
    const resumed = await openSse(url, { 'last-event-id': change.id! });
    assert.equal(await resumed.quiet(500), true, 'nothing already seen is sent again');
    await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/cancel`, { token: alice.access_token });
    assert.deepEqual(pick(JSON.parse((await resumed.next()).data)), { total: 10, available: 10, held: 0, confirmed: 0 });
    resumed.close();
    // From an older version: the current state at once.
    // Left open: the suite's shutdown (after) must end it, or it would wait for it.
    const behind = await openSse(url, { 'last-event-id': first.id! });
    assert.equal(JSON.parse((await behind.next()).data).available, 10);

    assert.equal((await fetch(`${base}/api/v1/availability/events/01a22c1a-f9ea-753f-9a99-24436bf71473/stream`)).status, 404);
    assert.equal((await fetch(url, { headers: { 'last-event-id': 'x' } })).status, 400);
    // HEAD answers at once with the stream's headers, and holds nothing open.
    const head = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
    assert.equal(head.status, 200);
    assert.match(head.headers.get('content-type') ?? '', /^text\/event-stream/);
  });
});

const pick = (s: { total: number; available: number; held: number; confirmed: number }) => ({ total: s.total, available: s.available, held: s.held, confirmed: s.confirmed });
