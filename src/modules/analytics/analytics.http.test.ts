/**
 * SPEC §6 through HTTP on the real app: the reports after real bookings (held, confirmed,
 * cancelled, refunded, expired), in the numbers the bookings database holds; admin-only access,
 * bad input, CSV export with formulas defused, and the event log's retention.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, book, eventOnSale } from '../../../test/support/bookings.js';
import { assertError } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';

const A = '/api/v1/analytics';

describe('analytics over HTTP', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  let alice: { access_token: string; user_id: string };
  let bob: { access_token: string; user_id: string };
  let concert: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  let talk: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const ids: Record<string, string> = {};

  before(async () => {
    t = await startTestEvently({ redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV, BOOKINGS_EXPIRE_EVERY_S: '3600' } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    alice = await signUp(app, `alice-${Date.now()}@example.com`);
    bob = await signUp(app, `bob-${Date.now()}@example.com`);
    concert = await eventOnSale(app, admin, { title: '=HYPERLINK("http://evil.example","x")', capacity: 10, price: '12.50', currency: 'EUR' });
    talk = await eventOnSale(app, admin, { capacity: 4, price: '3.00', currency: 'USD' });

    const hold = async (token: string, eventId: string, n: number) => {
      const r = await book(app, token, eventId, n);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id as string;
    };
    const put = async (token: string, path: string) => assert.equal((await call(app, 'PUT', path, { token })).status, 200, path);
    ids.confirmed = await hold(alice.access_token, concert.id, 2);
    await put(alice.access_token, `${BOOKINGS}/${ids.confirmed}/confirm`);
    ids.cancelled = await hold(bob.access_token, concert.id, 3);
    await put(bob.access_token, `${BOOKINGS}/${ids.cancelled}/cancel`);
    ids.refunded = await hold(alice.access_token, talk.id, 1);
    await put(alice.access_token, `${BOOKINGS}/${ids.refunded}/confirm`);
    await put(alice.access_token, `${BOOKINGS}/${ids.refunded}/cancel`);
    ids.expired = await hold(bob.access_token, talk.id, 2);
    // The hold's time runs out (the clock is the database's), and the sweep releases it.
    await sqlRows(t.database.url, "update bookings.bookings set expires_at = now() - interval '1 second' where id = $1", [ids.expired]);
    assert.equal((await call(app, 'POST', '/api/v1/admin/bookings/expire', { token: admin })).body.expired, 1);
    ids.pending = await hold(bob.access_token, concert.id, 1);
    await eventually(async () => {
      const r = await call(app, 'GET', `${A}/overview`, { token: admin });
      return r.body.bookings.holds === 5 && r.body.bookings.expired === 1 && r.body.bookings.pending === 1 ? true : undefined;
    }, 'analytics to count every booking');
  }, { timeout: 90_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('overview: bookings count when confirmed; holds, cancellations, expiries and refunds apart; revenue net of refunds per currency', async () => {
    const o = (await call(app, 'GET', `${A}/overview`, { token: admin })).body;
    assert.deepEqual(o.bookings, { confirmed: 1, holds: 5, pending: 1, cancelled: 1, expired: 1, refunded: 1 });
    assert.deepEqual(o.tickets, { sold: 2, pending: 1, refunded: 1 });
    assert.deepEqual(o.revenue, [
      { currency: 'EUR', gross: '25.00', refunds: '0.00', net: '25.00' },
      { currency: 'USD', gross: '3.00', refunds: '3.00', net: '0.00' },
    ]);
    assert.equal(o.users.total, 3, 'the admin, alice and bob');
    assert.equal(o.users.verified, 3);
    assert.equal(o.users.admins, 1);
    assert.equal(o.events.published, 2);
    assert.equal(o.utilization.overall, 0.1429, '2 confirmed seats of 14');
    assert.ok(o.system.messages_last_day > 10 && o.system.last_received_at && o.system.messages_kept >= 0, JSON.stringify(o.system));

    // The same numbers as the bookings database.
    const [db] = await sqlRows<Record<string, number>>(t.database.url, `select
      count(*) filter (where status = 'confirmed')::int as confirmed, count(*)::int as holds,
      coalesce(sum(quantity) filter (where status = 'confirmed'), 0)::int as sold from bookings.bookings`);
    assert.deepEqual({ confirmed: o.bookings.confirmed, holds: o.bookings.holds, sold: o.tickets.sold }, db);
  });

  it('per-event stats, top events by each measure, and capacity utilisation', async () => {
    const one = (await call(app, 'GET', `${A}/events?event_id=${concert.id}`, { token: admin })).body;
    assert.equal(one.total, 1);
    const s = one.items[0];
    assert.equal(s.title, concert.title);
    assert.equal(s.capacity, 10);
    assert.deepEqual(s.bookings, { confirmed: 1, holds: 3, pending: 1, cancelled: 1, expired: 0, refunded: 0 });
    assert.deepEqual(s.tickets, { sold: 2, pending: 1, refunded: 0 });
    assert.deepEqual(s.revenue, { currency: 'EUR', gross: '25.00', refunds: '0.00', net: '25.00' });
    assert.equal(s.utilization, 0.2);

    const byRevenue = (await call(app, 'GET', `${A}/top-events?sort_by=revenue&limit=2`, { token: admin })).body;
    assert.equal(byRevenue.sort_by, 'revenue');
    assert.deepEqual(byRevenue.items.map((e: { event_id: string }) => e.event_id), [concert.id, talk.id]);
    const byUse = (await call(app, 'GET', `${A}/top-events?sort_by=utilization`, { token: admin })).body;
    assert.equal(byUse.items[0].event_id, concert.id);
    assert.equal(byUse.items[1].utilization, 0, 'the talk: its one sale was refunded');

    const cap = (await call(app, 'GET', `${A}/capacity-utilization?size=1`, { token: admin })).body;
    assert.deepEqual(cap.items, [{ event_id: concert.id, title: concert.title, capacity: 10, tickets_sold: 2, tickets_pending: 1, utilization: 0.2 }]);
    assert.equal(cap.total, 2);
    assert.equal(cap.has_next, true);
    assert.equal(cap.average_utilization, 0.1);
  });

  it('daily stats, booking trends and revenue place each step on its UTC day', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const d = (await call(app, 'GET', `${A}/daily?days=3`, { token: admin })).body;
    assert.equal(d.items.length, 3);
    const last = d.items[2];
    // Run across midnight, steps may land on two days: then this test says so instead of passing by luck.
    assert.equal(last.day, today);
    assert.deepEqual({ ...last, day: undefined, new_users: undefined },
      { day: undefined, new_users: undefined, holds: 5, confirmed: 2, tickets_sold: 3, cancelled: 1, expired: 1, refunded: 1, tickets_refunded: 1, waitlist_joined: 0, waitlist_offered: 0 });
    assert.ok(last.new_users >= 2);
    assert.equal(d.items[0].holds, 0, 'days without activity are zeros');

    const trends = (await call(app, 'GET', `${A}/booking-trends?days=7`, { token: admin })).body;
    assert.equal(trends.items.length, 7);
    assert.deepEqual(trends.totals, { holds: 5, confirmed: 2, cancelled: 1, expired: 1, refunded: 1, conversion_rate: 0.4 });

    const rev = (await call(app, 'GET', `${A}/revenue?days=1`, { token: admin })).body;
    assert.deepEqual(rev.items, [
      { day: today, currency: 'EUR', gross: '25.00', refunds: '0.00', net: '25.00' },
      { day: today, currency: 'USD', gross: '3.00', refunds: '3.00', net: '0.00' },
    ]);
    assert.deepEqual(rev.period, rev.all_time);
  });

  it('dashboard and event log', async () => {
    const dash = (await call(app, 'GET', `${A}/dashboard`, { token: admin })).body;
    assert.equal(dash.overview.bookings.confirmed, 1);
    assert.equal(dash.top_events[0].event_id, concert.id);
    assert.equal(dash.last_7_days.length, 7);
    assert.equal(dash.recent.length, 10);

    const log = (await call(app, 'GET', `${A}/event-log?entity_id=${ids.refunded}`, { token: admin })).body;
    assert.deepEqual(log.items.map((e: { type: string }) => e.type).sort(), ['bookings.booking.confirmed', 'bookings.booking.held', 'bookings.booking.refunded']);
    const held = (await call(app, 'GET', `${A}/event-log?type=bookings.booking.held&size=100`, { token: admin })).body;
    assert.equal(held.total, 5);
    assert.ok(!JSON.stringify(held).includes('@example.com'), 'no payloads (addresses) in the log');
  });

  it('exports each report as CSV, with formula-like values defused', async () => {
    for (const table of ['events', 'top-events', 'daily', 'booking-trends', 'revenue', 'capacity-utilization', 'event-log']) {
      const r = await app.inject({ method: 'GET', url: `${A}/export/${table}?days=7`, headers: { authorization: `Bearer ${admin}` } });
      assert.equal(r.statusCode, 200, `${table}: ${r.body}`);
      assert.match(String(r.headers['content-type']), /^text\/csv/);
      assert.match(String(r.headers['content-disposition']), new RegExp(`attachment; filename="evently-${table}-\\d{4}-\\d{2}-\\d{2}\\.csv"`));
      assert.ok(r.body.split('\r\n').length > 2, `${table} has a header and rows`);
    }
    const csv = (await app.inject({ method: 'GET', url: `${A}/export/events`, headers: { authorization: `Bearer ${admin}` } })).body;
    const [header, ...rows] = csv.trim().split('\r\n');
    assert.ok(header!.startsWith('event_id,title,category,status,starts_at,capacity,bookings_confirmed,bookings_holds'), header);
    assert.ok(header!.includes('revenue_net') && !/(^|,)revenue(,|$)/.test(header!), header);
    const concertRow = rows.find((r) => r.startsWith(concert.id))!;
    assert.ok(concertRow.includes(`"'=HYPERLINK(""http://evil.example"",""x"")"`), concertRow);
  });

  it('is for admins only, and refuses bad input with 400', async () => {
    for (const path of ['overview', 'dashboard', 'top-events', 'events', 'daily', 'booking-trends', 'revenue', 'capacity-utilization', 'event-log', 'export/daily']) {
      assertError(await call(app, 'GET', `${A}/${path}`), 401, 'UNAUTHENTICATED', `${path} without a token`);
      assertError(await call(app, 'GET', `${A}/${path}`, { token: alice.access_token }), 403, 'FORBIDDEN', `${path} as a user`);
    }
    for (const q of ['daily?days=0', 'daily?days=367', 'daily?days=x', 'top-events?sort_by=price', 'top-events?limit=101', 'events?event_id=nope', 'events?size=101', 'daily?extra=1', 'export/users', 'event-log?type=DROP%20TABLE']) {
      assertError(await call(app, 'GET', `${A}/${q}`, { token: admin }), 400, 'VALIDATION_FAILED', q);
    }
    const r = await call(app, 'GET', `${A}/events?event_id=01a22c1a-f9ea-753f-9a99-24436bf71473`, { token: admin });
    assert.deepEqual({ total: r.body.total, items: r.body.items }, { total: 0, items: [] }, 'an event analytics never heard of');
  });

  it('the retention task removes log entries past ANALYTICS_EVENT_LOG_DAYS and leaves the totals', async () => {
    await sqlRows(t.database.url, "update analytics.event_log set received_at = now() - interval '31 days' where entity_id = $1", [ids.confirmed]);
    await t.evently.periodic.runNow('analytics.event-log-retention');
    assert.equal((await call(app, 'GET', `${A}/event-log?entity_id=${ids.confirmed}`, { token: admin })).body.total, 0);
    assert.equal((await call(app, 'GET', `${A}/overview`, { token: admin })).body.bookings.confirmed, 1);
  });
});
