/**
 * SPEC §5 waitlist through HTTP on the real app: join only when the seats are not there, one live
 * entry per user, offers that hold seats in line order (and keep them from the public), decline,
 * accept (once), offers running out, admin priorities, capacity increases and the event's
 * cancellation; the ledger counts offers as held and the line as waiting throughout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, book, eventOnSale, seats } from '../../../test/support/bookings.js';
import { ADMIN_EVENTS, assertError } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';

const WAITLIST = '/api/v1/waitlist';

describe('waitlist over HTTP', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  let users: { access_token: string; user_id: string }[];

  const join = (who: number, eventId: string, quantity = 1) => call(app, 'POST', WAITLIST, { token: users[who]!.access_token, body: { event_id: eventId, quantity } });
  const entry = async (who: number, id: string) => (await call(app, 'GET', `${WAITLIST}/${id}`, { token: users[who]!.access_token })).body;
  const cancelBooking = (who: number, id: string) => call(app, 'PUT', `${BOOKINGS}/${id}/cancel`, { token: users[who]!.access_token });
  const counts = async (eventId: string) => {
    const s = await seats(app, eventId);
    return { available: s.available, held: s.held, confirmed: s.confirmed, waiting: s.waiting };
  };
  /** The ledger row as the database has it (available there counts seats kept for the line). */
  const ledger = async (eventId: string) => (await sqlRows<{ available: number; held: number; waiting: number }>(t.database.url, 'select available, held, waiting from bookings.ledgers where event_id = $1', [eventId]))[0]!;

  before(async () => {
    t = await startTestEvently({ redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV, BOOKINGS_EXPIRE_EVERY_S: '3600' } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    users = await Promise.all(Array.from({ length: 5 }, (_, i) => signUp(app, `wait-${i}-${Date.now()}@example.com`)));
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('joins only a line worth joining; offers go down the line in order and keep seats from the public; decline passes them on; accept books once', async () => {
    const e = await eventOnSale(app, admin, { capacity: 2, max_per_booking: 2, max_per_user: 2 });
    assertError(await join(1, e.id), 409, 'SEATS_AVAILABLE', 'seats are there to book');
    const holder = await book(app, users[0]!.access_token, e.id, 2);
    assert.equal(holder.status, 201);
    const refused = await book(app, users[1]!.access_token, e.id, 1);
    assertError(refused, 409, 'SOLD_OUT', 'sold out');
    assert.equal(refused.body.error.details[0].waitlist_open, true);

    const b = await join(1, e.id, 1);
    assert.equal(b.status, 201, JSON.stringify(b.body));
    assert.deepEqual([b.body.status, b.body.position], ['waiting', 1]);
    assertError(await join(1, e.id, 1), 409, 'ALREADY_WAITLISTED', 'a second live entry');
    const c = await join(2, e.id, 2);
    assert.deepEqual([c.status, c.body.position], [201, 2]);
    assert.deepEqual(await counts(e.id), { available: 0, held: 2, confirmed: 0, waiting: 2 });
    const check = await call(app, 'GET', `${WAITLIST}/check/${e.id}`, { token: users[2]!.access_token });
    assert.deepEqual([check.body.waitlist_open, check.body.waiting, check.body.entry.id], [true, 2, c.body.id]);
    assert.equal((await call(app, 'GET', `${WAITLIST}/check/${e.id}`, { token: users[3]!.access_token })).body.entry, null);

    // Two seats back: the head wants 1 and is offered it; the next wants 2, so 1 seat waits for it,
    // and the public cannot have it.
    assert.equal((await cancelBooking(0, holder.body.id)).status, 200);
    const offered = await entry(1, b.body.id);
    assert.equal(offered.status, 'offered');
    const deadline = Date.parse(offered.offer_expires_at) - Date.now();
    assert.ok(deadline > 29 * 60_000 && deadline <= 30 * 60_000, `a 30-minute offer (${deadline} ms)`);
    assert.deepEqual((await call(app, 'GET', `${WAITLIST}/${c.body.id}/position`, { token: users[2]!.access_token })).body.position, 1);
    assert.deepEqual(await ledger(e.id), { available: 1, held: 1, waiting: 1 });
    assert.deepEqual(await counts(e.id), { available: 0, held: 1, confirmed: 0, waiting: 1 });
    assertError(await book(app, users[3]!.access_token, e.id, 1), 409, 'SOLD_OUT', 'a seat kept for the line');

    // The head declines: with its seat, the next entry's two are free and offered.
    const declined = await call(app, 'PUT', `${WAITLIST}/${b.body.id}/cancel`, { token: users[1]!.access_token, body: { reason: 'changed plans' } });
    assert.deepEqual([declined.status, declined.body.status, declined.body.reason], [200, 'cancelled', 'changed plans']);
    assert.equal((await entry(2, c.body.id)).status, 'offered');
    assert.deepEqual(await ledger(e.id), { available: 0, held: 2, waiting: 0 });

    // Accepting turns the offer into a hold on the same seats, once.
    const accepted = await call(app, 'POST', `${WAITLIST}/${c.body.id}/book`, { token: users[2]!.access_token });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.deepEqual([accepted.body.status, accepted.body.quantity], ['pending', 2]);
    const again = await call(app, 'POST', `${WAITLIST}/${c.body.id}/book`, { token: users[2]!.access_token });
    assert.deepEqual([again.status, again.body.id], [200, accepted.body.id]);
    assert.deepEqual(await ledger(e.id), { available: 0, held: 2, waiting: 0 });
    assert.equal((await entry(2, c.body.id)).booking_id, accepted.body.id);
    assert.equal((await call(app, 'PUT', `${BOOKINGS}/${accepted.body.id}/confirm`, { token: users[2]!.access_token })).body.status, 'confirmed');
    assert.deepEqual(await counts(e.id), { available: 0, held: 0, confirmed: 2, waiting: 0 });

    // Rejoining after a cancellation is allowed; the messages tell the whole story.
    assert.equal((await join(1, e.id, 1)).status, 201);
    const types = await sqlRows<{ type: string }>(t.database.url, "select type from bookings.outbox where type like 'bookings.waitlist.%' and payload->>'entry_id' = any($1) order by seq", [[b.body.id, c.body.id]]);
    assert.deepEqual(types.map((m) => m.type), ['bookings.waitlist.joined', 'bookings.waitlist.joined', 'bookings.waitlist.offered', 'bookings.waitlist.cancelled', 'bookings.waitlist.offered', 'bookings.waitlist.converted']);
  });

  it('offers that run out pass their seats on; an expired offer cannot be accepted; the last seats go public once nobody waits', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1, max_per_booking: 1, max_per_user: 1 });
    const holder = await book(app, users[0]!.access_token, e.id, 1);
    const first = (await join(1, e.id)).body;
    const second = (await join(2, e.id)).body;
    await cancelBooking(0, holder.body.id);
    assert.equal((await entry(1, first.id)).status, 'offered');
    await sqlRows(t.database.url, "update bookings.waitlist set offer_expires_at = now() - interval '1 second' where id = $1", [first.id]);
    assertError(await call(app, 'POST', `${WAITLIST}/${first.id}/book`, { token: users[1]!.access_token }), 409, 'OFFER_EXPIRED', 'a late accept');
    const swept = await call(app, 'POST', '/api/v1/admin/bookings/expire', { token: admin });
    assert.deepEqual(swept.body, { expired: 0, offers_expired: 1, refunds_sent: 0 });
    assert.equal((await entry(1, first.id)).status, 'expired');
    assert.equal((await entry(2, second.id)).status, 'offered');
    // The last in line leaves: the seat is for sale again.
    await call(app, 'PUT', `${WAITLIST}/${second.id}/cancel`, { token: users[2]!.access_token });
    assert.deepEqual(await counts(e.id), { available: 1, held: 0, confirmed: 0, waiting: 0 });
    assert.equal((await book(app, users[3]!.access_token, e.id, 1)).status, 201);
  });

  it('admins reorder the line; more capacity goes to the line first', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1, max_per_booking: 1, max_per_user: 1 });
    await book(app, users[0]!.access_token, e.id, 1);
    const x = (await join(1, e.id)).body;
    const y = (await join(2, e.id)).body;
    const z = (await join(3, e.id)).body;
    assertError(await call(app, 'PUT', `/api/v1/admin/waitlist/${y.id}/priority`, { token: users[1]!.access_token, body: { priority: 5 } }), 403, 'FORBIDDEN', 'a user');
    const moved = await call(app, 'PUT', `/api/v1/admin/waitlist/${z.id}/priority`, { token: admin, body: { priority: 5 } });
    assert.deepEqual([moved.status, moved.body.position], [200, 1], JSON.stringify(moved.body));
    const line = await call(app, 'GET', `/api/v1/admin/waitlist?event_id=${e.id}`, { token: admin });
    assert.deepEqual(line.body.items.map((i: { id: string; position: number }) => [i.id, i.position]), [[z.id, 1], [x.id, 2], [y.id, 3]]);

    const grown = await call(app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { capacity: 3 } });
    assert.equal(grown.status, 200, JSON.stringify(grown.body));
    await eventually(async () => ((await entry(1, x.id)).status === 'offered' ? true : undefined), 'the new seats offered');
    assert.equal((await entry(3, z.id)).status, 'offered');
    assert.equal((await entry(2, y.id)).status, 'waiting');
    assert.deepEqual(await ledger(e.id), { available: 0, held: 3, waiting: 1 });
  });

  it('the event\'s cancellation cancels its line and gives the offered seats back; a long reason fits', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1, max_per_booking: 1, max_per_user: 1 });
    const holder = await book(app, users[0]!.access_token, e.id, 1);
    const first = (await join(1, e.id)).body;
    const second = (await join(2, e.id)).body;
    await cancelBooking(0, holder.body.id);
    await book(app, users[0]!.access_token, e.id, 1).then((r) => assertError(r, 409, 'SOLD_OUT', 'the seat is offered'));
    assert.equal((await call(app, 'POST', `${ADMIN_EVENTS}/${e.id}/cancel`, { token: admin, body: { reason: 'r'.repeat(500) } })).status, 200);
    await eventually(async () => ((await entry(2, second.id)).status === 'cancelled' ? true : undefined), 'the line cancelled');
    const offer = await entry(1, first.id);
    assert.equal(offer.status, 'cancelled');
    assert.equal(offer.reason.length, 500);
    assert.deepEqual(await ledger(e.id), { available: 1, held: 0, waiting: 0 });
    assertError(await join(3, e.id), 409, 'EVENT_NOT_BOOKABLE', 'a cancelled event');
  });

  it('entries are their owner\'s: others get 404; lists page in order; bad input is a 400', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1, max_per_booking: 1, max_per_user: 1 });
    await book(app, users[0]!.access_token, e.id, 1);
    const mine = (await join(4, e.id)).body;
    assertError(await call(app, 'GET', `${WAITLIST}/${mine.id}`, { token: users[3]!.access_token }), 404, 'NOT_FOUND', 'another user reads it');
    assertError(await call(app, 'PUT', `${WAITLIST}/${mine.id}/cancel`, { token: users[3]!.access_token }), 404, 'NOT_FOUND', 'another user cancels it');
    assertError(await call(app, 'POST', `${WAITLIST}/${mine.id}/book`, { token: admin }), 404, 'NOT_FOUND', 'an admin accepts for the user');
    assertError(await call(app, 'POST', `${WAITLIST}/${mine.id}/book`, { token: users[4]!.access_token }), 409, 'WAITLIST_STATE_CONFLICT', 'nothing offered yet');
    assert.equal((await call(app, 'GET', `${WAITLIST}/${mine.id}`, { token: admin })).status, 200, 'admins see every entry');
    const list = await call(app, 'GET', `${WAITLIST}?status=waiting&size=1`, { token: users[4]!.access_token });
    assert.deepEqual([list.body.total, list.body.items[0].id, list.body.has_next], [1, mine.id, false]);
    assertError(await call(app, 'POST', WAITLIST, { token: users[3]!.access_token, body: { event_id: e.id, quantity: 0 } }), 400, 'VALIDATION_FAILED', 'quantity 0');
    assertError(await call(app, 'POST', WAITLIST, { token: users[3]!.access_token, body: { event_id: e.id, quantity: 2 } }), 409, 'LIMIT_EXCEEDED', 'past max_per_booking');
    assertError(await call(app, 'POST', WAITLIST, { body: { event_id: e.id } }), 401, 'UNAUTHENTICATED', 'no token');
    assertError(await call(app, 'GET', '/api/v1/admin/waitlist', { token: users[3]!.access_token }), 403, 'FORBIDDEN', 'a user lists every entry');
  });

  it('accepting one offer three times at once books once: one 201, the same booking twice, the user\'s cap counted once', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1, max_per_booking: 1, max_per_user: 3 });
    const holder = await book(app, users[0]!.access_token, e.id, 1);
    const w = (await join(1, e.id)).body;
    await cancelBooking(0, holder.body.id);
    const answers = await Promise.all([1, 2, 3].map(() => call(app, 'POST', `${WAITLIST}/${w.id}/book`, { token: users[1]!.access_token })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 201], JSON.stringify(answers.map((a) => a.body)));
    assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
    const seatsOf = async () => (await sqlRows<{ seats: number }>(t.database.url, 'select seats from bookings.user_seats where user_id = $1 and event_id = $2', [users[1]!.user_id, e.id]))[0]!.seats;
    assert.equal(await seatsOf(), 1);
    await cancelBooking(1, answers[0]!.body.id);
    assert.equal(await seatsOf(), 0, 'nothing left counted against the cap');

    // With the cap at the offer's quantity, the second click still gets the booking, not LIMIT_EXCEEDED.
    const tight = await eventOnSale(app, admin, { capacity: 1, max_per_booking: 1, max_per_user: 1 });
    const h2 = await book(app, users[0]!.access_token, tight.id, 1);
    const w2 = (await join(2, tight.id)).body;
    await cancelBooking(0, h2.body.id);
    const twice = await Promise.all([1, 2].map(() => call(app, 'POST', `${WAITLIST}/${w2.id}/book`, { token: users[2]!.access_token })));
    assert.deepEqual(twice.map((a) => a.status).sort(), [200, 201], JSON.stringify(twice.map((a) => a.body)));
  });

  it('an entry the event can never seat is refused, or leaves the line after a capacity cut, so it blocks nobody', async () => {
    const e = await eventOnSale(app, admin, { capacity: 3, max_per_booking: 5, max_per_user: 5 });
    await book(app, users[0]!.access_token, e.id, 1);
    assertError(await join(1, e.id, 4), 409, 'LIMIT_EXCEEDED', 'more than the event has');
    const big = (await join(1, e.id, 3)).body;
    const small = (await join(2, e.id, 1)).body;
    assert.deepEqual(await ledger(e.id), { available: 2, held: 1, waiting: 2 }, 'two seats wait for the head, which wants three');
    // The capacity is cut to 2: the head can never be seated, leaves the line, and the next is served.
    assert.equal((await call(app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { capacity: 2 } })).status, 200);
    await eventually(async () => ((await entry(1, big.id)).status === 'expired' ? true : undefined), 'the head out of the line');
    assert.equal((await entry(1, big.id)).reason, 'the event has 2 seat(s) in all');
    assert.equal((await entry(2, small.id)).status, 'offered');
    assert.deepEqual(await ledger(e.id), { available: 0, held: 2, waiting: 0 });
  });

  it('joining answers what the entry is: offered at once when it heads the line and its seats wait for it', async () => {
    const e = await eventOnSale(app, admin, { capacity: 2, max_per_booking: 2, max_per_user: 2 });
    const first = await book(app, users[0]!.access_token, e.id, 1);
    await book(app, users[0]!.access_token, e.id, 1);
    const head = (await join(1, e.id, 2)).body;
    await cancelBooking(0, first.body.id);
    // One seat waits for the head, which wants two; admins move the head down the line.
    assert.equal((await call(app, 'PUT', `/api/v1/admin/waitlist/${head.id}/priority`, { token: admin, body: { priority: -1 } })).status, 200);
    const joined = await join(2, e.id, 1);
    assert.deepEqual([joined.body.status, joined.body.position], ['offered', null]);
    assert.ok(joined.body.offer_expires_at);
  });

  it('an id PostgreSQL cannot read is a 400, never a 500 (ajv alone takes a urn:uuid: prefix)', async () => {
    const urn = 'urn:uuid:01a22c1a-f9ea-753f-9a99-24436bf71473';
    for (const [method, url, body] of [
      ['GET', `${WAITLIST}/${urn}`, undefined],
      ['GET', `${WAITLIST}/check/${urn}`, undefined],
      ['POST', WAITLIST, { event_id: urn }],
      ['GET', `${WAITLIST}?event_id=${urn}`, undefined],
      ['GET', `${BOOKINGS}/${urn}`, undefined],
      ['GET', `/api/v1/events/${urn}`, undefined],
    ] as const) {
      assertError(await call(app, method, url, { token: users[3]!.access_token, body }), 400, 'VALIDATION_FAILED', `${method} ${url}`);
    }
  });
});
