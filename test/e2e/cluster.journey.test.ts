/**
 * The split deployment end to end (issue 11): `npm run cluster` as real processes (auth, events,
 * two bookings replicas, analytics, the notifications worker) on one PostgreSQL and on Redis (one
 * server, and a three-node Redis Cluster), with a
 * real SMTP server. An admin publishes an event; users sign up with the codes mailed to them, book
 * through both replicas, confirm, cancel, wait in line and accept an offer. Every expected mail
 * arrives once; analytics shows what the bookings database holds; a revoked session is refused by
 * every service within 5 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../support/suite.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, eventually, sqlRows } from '../support/auth.js';
import { api, startTestCluster, type TestCluster } from '../support/cluster.js';
import { eventBody } from '../support/events.js';
import { redisTargets, skipWithoutRedis } from '../support/redis.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';

const SUBJECT = {
  code: 'Your Evently verification code', welcome: 'Welcome to Evently', held: 'Your seats are held: pay to confirm',
  confirmed: 'Your booking is confirmed', cancelled: 'Your booking is cancelled', refunded: 'Your booking is cancelled and refunded',
  joined: 'You are on the waitlist', offer: 'Seats are waiting for you',
};

for (const target of redisTargets()) describe(`the split deployment end to end (${target.name})`, { skip: skipWithoutRedis() }, () => {
  let smtp: TestSmtp;
  let c: TestCluster;
  let admin: string;
  const run = Date.now();

  before(async () => {
    smtp = await startTestSmtp();
    c = await startTestCluster({
      SMTP_URL: smtp.url, EVENTLY_ADMIN_EMAIL: ADMIN_EMAIL, EVENTLY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AUTH_RATE_LIMITS: 'false', AUTH_OTP_RESEND_COOLDOWN_S: '0', OUTBOX_POLL_MS: '200', BOOKINGS_EXPIRE_EVERY_S: '1',
    }, { redis: target });
    admin = (await api(`${c.url.auth}/api/v1/auth/login`, 'POST', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.access_token;
    assert.ok(admin, 'the admin signs in');
  }, { timeout: 240_000 });
  after(async () => {
    await c?.stop();
    await smtp?.close();
  }, { timeout: 90_000 });

  const subjects = (to: string) => smtp.to(to).map((m) => /^Subject: (.*)$/m.exec(m.body)?.[1]?.trim());

  async function signUp(name: string): Promise<{ email: string; token: string }> {
    const email = `${name}-${run}@example.com`;
    assert.equal((await api(`${c.url.auth}/api/v1/auth/register`, 'POST', { body: { email, username: `${name}${run}`, password: PASSWORD } })).status, 202);
    const code = await eventually(async () => smtp.to(email).map((m) => /verify your email address: (\d{6})/.exec(m.body)?.[1]).find(Boolean), `the code mailed to ${email}`, 30_000);
    assert.equal((await api(`${c.url.auth}/api/v1/auth/verify-email`, 'POST', { body: { email, otp: code, password: PASSWORD } })).status, 200);
    const login = await api(`${c.url.auth}/api/v1/auth/login`, 'POST', { body: { email, password: PASSWORD } });
    assert.equal(login.status, 200);
    return { email, token: login.body.access_token };
  }

  it('sign-up, booking through both replicas, waitlist, cancellations: each mail once, analytics equal to the bookings database', async () => {
    const created = await api(`${c.url.events}/api/v1/admin/events`, 'POST', { token: admin, body: eventBody({ capacity: 3, price: '10.00', currency: 'EUR', timezone: 'Europe/Paris' }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const eventId = created.body.id as string;
    assert.equal((await api(`${c.url.events}/api/v1/admin/events/${eventId}/publish`, 'POST', { token: admin })).status, 200);
    await eventually(async () => ((await api(`${c.url.bookings2}/api/v1/availability/events/${eventId}/check`, 'GET')).body?.bookable ? true : undefined), 'the event on sale in bookings', 30_000);

    const [ann, ben, cat] = [await signUp('ann'), await signUp('ben'), await signUp('cat')];
    const bookings = (url: string) => `${url}/api/v1/bookings`;

    const a = await api(bookings(c.url.bookings), 'POST', { token: ann.token, body: { event_id: eventId, quantity: 2 } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    assert.equal((await api(`${bookings(c.url.bookings2)}/${a.body.id}/confirm`, 'PUT', { token: ann.token })).body.status, 'confirmed', 'confirmed through the other replica');
    const b = await api(bookings(c.url.bookings2), 'POST', { token: ben.token, body: { event_id: eventId, quantity: 1 } });
    assert.equal(b.status, 201);
    assert.equal((await api(bookings(c.url.bookings), 'POST', { token: cat.token, body: { event_id: eventId, quantity: 1 } })).code, 'SOLD_OUT');
    assert.equal((await api(`${c.url.bookings}/api/v1/waitlist`, 'POST', { token: cat.token, body: { event_id: eventId, quantity: 1 } })).status, 201);
    assert.equal((await api(`${bookings(c.url.bookings)}/${b.body.id}/cancel`, 'PUT', { token: ben.token, body: {} })).body.status, 'cancelled');
    const entry = await eventually(async () => {
      const r = await api(`${c.url.bookings2}/api/v1/waitlist?event_id=${eventId}`, 'GET', { token: cat.token });
      return r.body.items.find((e: { status: string }) => e.status === 'offered');
    }, 'the offer to cat');
    const accepted = await api(`${c.url.bookings2}/api/v1/waitlist/${entry.id}/book`, 'POST', { token: cat.token });
    assert.equal(accepted.status, 201, JSON.stringify(accepted.body));
    assert.equal((await api(`${bookings(c.url.bookings)}/${accepted.body.id}/confirm`, 'PUT', { token: cat.token })).body.status, 'confirmed');
    assert.equal((await api(`${bookings(c.url.bookings2)}/${a.body.id}/cancel`, 'PUT', { token: ann.token, body: { reason: 'plans changed' } })).body.status, 'refunded');

    const expected: Record<string, string[]> = {
      [ann.email]: [SUBJECT.code, SUBJECT.welcome, SUBJECT.held, SUBJECT.confirmed, SUBJECT.refunded],
      [ben.email]: [SUBJECT.code, SUBJECT.welcome, SUBJECT.held, SUBJECT.cancelled],
      [cat.email]: [SUBJECT.code, SUBJECT.welcome, SUBJECT.joined, SUBJECT.offer, SUBJECT.held, SUBJECT.confirmed],
    };
    const sorted = (xs: (string | undefined)[]) => [...xs].sort();
    await eventually(async () => (Object.entries(expected).every(([to, s]) => subjects(to).length >= s.length) ? true : undefined), 'every mail', 60_000)
      .catch((err) => assert.fail(`${err}: ${JSON.stringify(Object.fromEntries(Object.keys(expected).map((to) => [to, subjects(to)])))}`));
    // Nothing more arrives: each exactly once.
    await new Promise((r) => setTimeout(r, 2_000));
    for (const [to, s] of Object.entries(expected)) assert.deepEqual(sorted(subjects(to)), sorted(s), to);
    const confirmation = smtp.to(cat.email).find((m) => m.body.includes(`Subject: ${SUBJECT.confirmed}`))!;
    assert.match(confirmation.body, /Content-Type: text\/calendar; charset=utf-8; method=PUBLISH; name=event\.ics/i);

    // Analytics: the numbers of the bookings database.
    const [db] = await sqlRows<{ confirmed: number; holds: number; cancelled: number; refunded: number; sold: number; net: string }>(c.database.url, `select
      count(*) filter (where status = 'confirmed')::int as confirmed, count(*)::int as holds, count(*) filter (where status = 'cancelled')::int as cancelled,
      count(*) filter (where status = 'refunded')::int as refunded, coalesce(sum(quantity) filter (where status = 'confirmed'), 0)::int as sold,
      coalesce(sum(amount) filter (where status = 'confirmed'), 0)::numeric(12, 2)::text as net from bookings.bookings`);
    assert.deepEqual(db, { confirmed: 1, holds: 3, cancelled: 1, refunded: 1, sold: 1, net: '10.00' });
    await eventually(async () => {
      const o = (await api(`${c.url.analytics}/api/v1/analytics/overview`, 'GET', { token: admin })).body;
      const seen = { confirmed: o.bookings.confirmed, holds: o.bookings.holds, cancelled: o.bookings.cancelled, refunded: o.bookings.refunded, sold: o.tickets.sold, net: o.revenue[0]?.net };
      return JSON.stringify(seen) === JSON.stringify(db) ? true : undefined;
    }, 'analytics to show the bookings database', 30_000);
    const one = (await api(`${c.url.analytics}/api/v1/analytics/events?event_id=${eventId}`, 'GET', { token: admin })).body.items[0];
    assert.deepEqual({ waitlist: one.waitlist, utilization: one.utilization }, { waitlist: { joined: 1, waiting: 0, offered: 1, converted: 1 }, utilization: 0.3333 });
  });

  it("the web app's process serves the pages, and the API and the live stream through it", async () => {
    // Everything through the web process: the API calls are forwarded to the modules.
    const created = await api(`${c.url.web}/api/v1/admin/events`, 'POST', { token: admin, body: eventBody({ title: 'Split Web Evening', capacity: 7 }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.equal((await api(`${c.url.web}/api/v1/admin/events/${id}/publish`, 'POST', { token: admin })).status, 200);
    await eventually(async () => ((await api(`${c.url.web}/api/v1/availability/events/${id}`, 'GET')).body?.total === 7 ? true : undefined), 'the event on sale through the web process', 30_000);
    const home = await fetch(`${c.url.web}/`, { headers: { accept: 'text/html' } });
    assert.equal(home.status, 200);
    assert.match(await home.text(), /Split Web Evening/);
    const page = await (await fetch(`${c.url.web}/events/${id}`)).text();
    assert.match(page, /<strong data-available="true">7<\/strong>/);
    const stream = await fetch(`${c.url.web}/api/v1/availability/events/${id}/stream`, { signal: AbortSignal.timeout(10_000) });
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('event: availability')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    // Signing in through the page: cookies and CSRF on the web process, the session checked by auth.
    const form = await fetch(`${c.url.web}/login`);
    const cookie = form.headers.getSetCookie().map((v) => v.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const signedIn = await fetch(`${c.url.web}/login`, {
      method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, email: ADMIN_EMAIL, password: ADMIN_PASSWORD, next: '/admin' }),
    });
    assert.equal(signedIn.status, 303);
    const session = [cookie, ...signedIn.headers.getSetCookie().map((v) => v.split(';')[0])].join('; ');
    const dashboard = await fetch(`${c.url.web}/admin`, { headers: { cookie: session } });
    assert.equal(dashboard.status, 200);
    assert.match(await dashboard.text(), /<h1>Dashboard/);
  });

  it('a revoked session is refused by every service within 5 s', async () => {
    const session = (await api(`${c.url.auth}/api/v1/auth/login`, 'POST', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.access_token as string;
    const probes = [
      `${c.url.auth}/api/v1/auth/me`, `${c.url.events}/api/v1/events`, `${c.url.bookings}/api/v1/admin/bookings`,
      `${c.url.bookings2}/api/v1/admin/bookings`, `${c.url.analytics}/api/v1/analytics/overview`,
    ];
    for (const p of probes) assert.equal((await api(p, 'GET', { token: session })).status, 200, `${p} before the logout`);
    assert.equal((await api(`${c.url.auth}/api/v1/auth/logout`, 'POST', { token: session })).status, 204);
    await Promise.all(probes.map((p) => eventually(async () => {
      const r = await api(p, 'GET', { token: session });
      return r.status === 401 && r.code === 'TOKEN_REVOKED' ? true : undefined;
    }, `${p} to refuse the revoked session`, 5_000)));
  });
});
