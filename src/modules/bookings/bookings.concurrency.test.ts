/**
 * The booking invariants under real parallelism: two Evently processes (this one and a child
 * started as `evently start`) sharing PostgreSQL and Redis, 2,000 HTTP requests for 100 seats; one
 * user's parallel requests against the per-user cap; confirm, cancel and expiry racing on one booking.
 * After each, the ledger must equal what the bookings say, and never hold more seats than exist.
 * Each write strategy of holds runs the whole suite.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, eventOnSale } from '../../../test/support/bookings.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { openSse } from '../../../test/support/sse.js';
import { freePort, runCli, waitForReady, type CliProcess } from '../../../test/support/process.js';
import { redisUrl, skipWithoutRedis } from '../../../test/support/redis.js';
import { generateSigningKey, newSealingKey, signAccessToken } from '../../kernel/index.js';

/** Runs `tasks` with at most `width` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  }));
  return results;
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function put(url: string, token: string): Promise<number> {
  const r = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
  await r.arrayBuffer();
  return r.status;
}

/**
 * The ledger agrees with the bookings and the line: held = seats of pending bookings and of offers,
 * confirmed = of confirmed bookings, waiting = entries waiting.
 */
async function assertLedgerMatches(dbUrl: string, eventId: string): Promise<{ total: number; available: number; held: number; confirmed: number }> {
  const [ledger] = await sqlRows<{ total: number; available: number; held: number; confirmed: number; waiting: number }>(dbUrl, 'select total, available, held, confirmed, waiting from bookings.ledgers where event_id = $1', [eventId]);
  const [counted] = await sqlRows<{ held: number; confirmed: number; waiting: number }>(dbUrl, `
    select (select coalesce(sum(quantity) filter (where status = 'pending'), 0) from bookings.bookings where event_id = $1)
         + (select coalesce(sum(quantity) filter (where status = 'offered'), 0) from bookings.waitlist where event_id = $1) as held,
           (select coalesce(sum(quantity) filter (where status = 'confirmed'), 0) from bookings.bookings where event_id = $1)::int as confirmed,
           (select count(*) filter (where status = 'waiting') from bookings.waitlist where event_id = $1)::int as waiting`, [eventId]);
  const { waiting, ...seats } = ledger!;
  assert.deepEqual({ held: ledger!.held, confirmed: ledger!.confirmed, waiting }, { ...counted!, held: Number(counted!.held) }, 'the ledger counts what the bookings and the line hold');
  assert.equal(ledger!.available + ledger!.held + ledger!.confirmed, ledger!.total);
  return seats;
}

for (const strategy of ['batch', 'single'] as const) describe(`bookings under concurrency (BOOKINGS_WRITE_STRATEGY=${strategy})`, { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let child: CliProcess;
  let urls: string[];
  let admin: string;
  let users: { access_token: string }[];
  let signing: Awaited<ReturnType<typeof generateSigningKey>>;
  /** Access tokens of `n` new users, signed with the processes' key (no sign-up needed for a crowd). */
  const crowd = (n: number) => Promise.all(Array.from({ length: n }, async () => (await signAccessToken(signing.key, { userId: randomUUID(), sessionId: randomUUID(), role: 'user' }, { issuer: 'evently', audience: 'evently-api', ttlSeconds: 900 })).token));

  before(async () => {
    const sealingKey = newSealingKey();
    signing = await generateSigningKey();
    const env = { ...NO_AUTH_LIMITS, ...ADMIN_ENV, EVENT_SEALING_KEY: sealingKey, AUTH_SIGNING_KEY: signing.pem, BOOKINGS_EXPIRE_EVERY_S: '1', BOOKINGS_WRITE_STRATEGY: strategy };
    t = await startTestEvently({ redis: true, env });
    const port = await freePort();
    child = runCli(['start'], {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATABASE_URL: t.database.url,
      REDIS_URL: redisUrl(),
      REDIS_KEY_PREFIX: t.redisPrefix,
      PORT: String(port),
      OUTBOX_POLL_MS: '200',
      EVENTLY_DOCS: 'false',
      ...env,
    });
    await waitForReady(`http://127.0.0.1:${port}`, child, 60_000);
    urls = [await t.evently.listen(), `http://127.0.0.1:${port}`];
    admin = (await login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    users = await Promise.all(Array.from({ length: 20 }, (_, i) => signUp(t.evently.app, `crowd-${i}-${Date.now()}@example.com`)));
  }, { timeout: 120_000 });
  after(async () => {
    child?.child.kill('SIGTERM');
    await child?.exited;
    await t?.close();
  }, { timeout: 60_000 });

  it('2,000 requests through two processes for 100 seats: exactly 100 held, only 201 and 409, the ledger intact', async (ctx) => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 100, max_per_booking: 1, max_per_user: 100 });
    // `single` queues every hold of the event on its row by design: on a loaded machine a few wait
    // past DATABASE_LOCK_TIMEOUT_MS and answer 503 OVERLOADED (rolled back, Retry-After: 1), which a
    // client retries. The default strategy must never need that.
    let retried = 0;
    const send = async (i: number) => {
      for (let attempt = 0; ; attempt++) {
        const a = await post(`${urls[i % 2]}${BOOKINGS}`, users[i % users.length]!.access_token, { event_id: e.id, quantity: 1 });
        if (a.status !== 503 || strategy !== 'single' || attempt === 3) return a;
        retried++;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    };
    const answers = await pool(Array.from({ length: 2_000 }, (_, i) => () => send(i)), 200);
    if (retried) ctx.diagnostic(`single strategy: ${retried} hold(s) retried after 503 OVERLOADED`);
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    assert.deepEqual([...statuses.keys()].sort(), [201, 409], JSON.stringify([...statuses]));
    assert.equal(statuses.get(201), 100, 'exactly the seats there are');
    assert.ok(answers.filter((a) => a.status === 409).every((a) => (a.body.error as { code: string }).code === 'SOLD_OUT'));
    const ledger = await assertLedgerMatches(t.database.url, e.id);
    assert.deepEqual(ledger, { total: 100, available: 0, held: 100, confirmed: 0 });
    // Every 2xx booking is in the database.
    const ids = answers.filter((a) => a.status === 201).map((a) => a.body.id as string);
    assert.equal((await sqlRows(t.database.url, 'select 1 from bookings.bookings where id = any($1::uuid[])', [ids])).length, 100);
  });

  it('one user\'s 20 parallel requests never pass max_per_user', async () => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 100, max_per_booking: 2, max_per_user: 3 });
    const one = users[0]!.access_token;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(`${urls[i % 2]}${BOOKINGS}`, one, { event_id: e.id, quantity: 1 })));
    assert.equal(answers.filter((a) => a.status === 201).length, 3);
    assert.ok(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && (a.body.error as { code: string }).code === 'LIMIT_EXCEEDED'));
    await assertLedgerMatches(t.database.url, e.id);
  });

  it('holds racing the event\'s cancellation: none survives it, the ledger ends empty', async () => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 1_000, max_per_booking: 1, max_per_user: 100 });
    const holds = pool(Array.from({ length: 400 }, (_, i) => () => post(`${urls[i % 2]}${BOOKINGS}`, users[i % users.length]!.access_token, { event_id: e.id, quantity: 1 })), 40);
    await new Promise((r) => setTimeout(r, 100));
    const cancel = await post(`${urls[0]}/api/v1/admin/events/${e.id}/cancel`, admin, { reason: 'race' });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    const answers = await holds;
    assert.ok(answers.every((a) => a.status === 201 || a.status === 409), JSON.stringify(answers.filter((a) => a.status !== 201 && a.status !== 409).slice(0, 3)));
    await eventually(async () => ((await sqlRows(t.database.url, "select 1 from bookings.bookings where event_id = $1 and status in ('pending', 'confirmed')", [e.id])).length === 0 ? true : undefined), 'every hold cancelled');
    const ledger = await assertLedgerMatches(t.database.url, e.id);
    assert.deepEqual({ held: ledger.held, confirmed: ledger.confirmed }, { held: 0, confirmed: 0 });
  });

  it('confirm, cancel and expiry racing on one booking: one change wins from pending, the ledger moves once', async () => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 100, max_per_booking: 1, max_per_user: 100 });
    const token = users[1]!.access_token;
    for (let round = 0; round < 15; round++) {
      const b = await post(`${urls[0]}${BOOKINGS}`, token, { event_id: e.id, quantity: 1 });
      assert.equal(b.status, 201);
      const id = b.body.id as string;
      await Promise.all([
        put(`${urls[round % 2]}${BOOKINGS}/${id}/confirm`, token),
        put(`${urls[(round + 1) % 2]}${BOOKINGS}/${id}/cancel`, token),
        sqlRows(t.database.url, "update bookings.bookings set expires_at = now() where id = $1 and status = 'pending'", [id]),
      ]);
      await eventually(async () => ((await sqlRows<{ status: string }>(t.database.url, 'select status from bookings.bookings where id = $1', [id]))[0]!.status !== 'pending' ? true : undefined), 'the booking leaves pending');
      const fromPending = await sqlRows(t.database.url, "select action from bookings.audit_log where booking_id = $1 and before->>'status' = 'pending'", [id]);
      assert.equal(fromPending.length, 1, `round ${round}: one change from pending`);
    }
    await assertLedgerMatches(t.database.url, e.id);
  });

  it('200 in line and 50 parallel cancellations: 50 offers, each seat once, to the head of the line in order', async () => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 50, max_per_booking: 1, max_per_user: 1 });
    const [holders, line] = await Promise.all([crowd(50), crowd(200)]);
    const held = await pool(holders.map((token, i) => () => post(`${urls[i % 2]}${BOOKINGS}`, token, { event_id: e.id, quantity: 1 })), 50);
    assert.ok(held.every((h) => h.status === 201), 'the 50 seats held');
    const joined = await pool(line.map((token, i) => () => post(`${urls[i % 2]}/api/v1/waitlist`, token, { event_id: e.id, quantity: 1 })), 50);
    assert.ok(joined.every((j) => j.status === 201), JSON.stringify(joined.find((j) => j.status !== 201)));
    // Admins move ten entries from the back up: they go first.
    const back = joined.slice(-10).map((j) => j.body.id as string);
    await pool(back.map((id) => () => fetch(`${urls[0]}/api/v1/admin/waitlist/${id}/priority`, { method: 'PUT', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ priority: 1 }) }).then((r) => r.status)), 10);

    const order = (await sqlRows<{ id: string }>(t.database.url, "select id from bookings.waitlist where event_id = $1 and status = 'waiting' order by priority desc, joined_at, id", [e.id])).map((r) => r.id);
    assert.deepEqual(order.slice(0, 10).sort(), [...back].sort());
    const cancels = await Promise.all(held.map((h, i) => put(`${urls[i % 2]}${BOOKINGS}/${h.body.id as string}/cancel`, holders[i]!)));
    assert.ok(cancels.every((s) => s === 200), JSON.stringify(cancels));

    const offered = await sqlRows<{ id: string }>(t.database.url, "select id from bookings.waitlist where event_id = $1 and status = 'offered'", [e.id]);
    assert.deepEqual(offered.map((o) => o.id).sort(), order.slice(0, 50).sort(), 'the head of the line, in order');
    const messages = await sqlRows<{ entry: string; n: number }>(t.database.url, "select payload->>'entry_id' as entry, count(*)::int as n from bookings.outbox where type = 'bookings.waitlist.offered' and payload->>'event_id' = $1 group by 1", [e.id]);
    assert.equal(messages.length, 50);
    assert.ok(messages.every((m) => m.n === 1), 'no entry offered twice');
    const ledger = await assertLedgerMatches(t.database.url, e.id);
    assert.deepEqual(ledger, { total: 50, available: 0, held: 50, confirmed: 0 }, 'each seat released went to one offer');
  });

  it('a live stream on one process sees the holds made through the other, as they happen', async () => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 30, max_per_booking: 1, max_per_user: 30 });
    const stream = await openSse(`${urls[0]}/api/v1/availability/events/${e.id}/stream`);
    assert.equal(JSON.parse((await stream.next()).data).available, 30);
    const made = await pool(Array.from({ length: 30 }, (_, i) => () => post(`${urls[1]}${BOOKINGS}`, users[i % users.length]!.access_token, { event_id: e.id, quantity: 1 })), 10);
    assert.ok(made.every((m) => m.status === 201));
    // Versions only grow, and the last event is the sold-out ledger.
    let last = { available: 30, version: 0 };
    while (last.available > 0) {
      const next = JSON.parse((await stream.next()).data) as { available: number; version: number };
      assert.ok(next.version > last.version && next.available <= last.available, JSON.stringify([last, next]));
      last = next;
    }
    assert.equal(last.available, 0);
    stream.close();
  });
});
