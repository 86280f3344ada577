/**
 * The booking invariants under real parallelism: two Evently processes (this one and a child
 * started as `evently start`) sharing PostgreSQL and Redis, 2,000 HTTP requests for 100 seats; one
 * user's parallel requests against the per-user cap; confirm, cancel and expiry racing on one booking.
 * After each, the ledger must equal what the bookings say, and never hold more seats than exist.
 * Each write strategy of holds runs the whole suite.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, eventOnSale } from '../../../test/support/bookings.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { freePort, runCli, waitForReady, type CliProcess } from '../../../test/support/process.js';
import { redisUrl, skipWithoutRedis } from '../../../test/support/redis.js';
import { newSealingKey } from '../../kernel/index.js';

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

/** The ledger agrees with the bookings: held = seats of pending ones, confirmed = of confirmed ones. */
async function assertLedgerMatches(dbUrl: string, eventId: string): Promise<{ total: number; available: number; held: number; confirmed: number }> {
  const [ledger] = await sqlRows<{ total: number; available: number; held: number; confirmed: number }>(dbUrl, 'select total, available, held, confirmed from bookings.ledgers where event_id = $1', [eventId]);
  const [counted] = await sqlRows<{ held: number; confirmed: number }>(dbUrl, `
    select coalesce(sum(quantity) filter (where status = 'pending'), 0)::int as held,
           coalesce(sum(quantity) filter (where status = 'confirmed'), 0)::int as confirmed
    from bookings.bookings where event_id = $1`, [eventId]);
  assert.deepEqual({ held: ledger!.held, confirmed: ledger!.confirmed }, counted, 'the ledger counts what the bookings hold');
  assert.equal(ledger!.available + ledger!.held + ledger!.confirmed, ledger!.total);
  return ledger!;
}

for (const strategy of ['batch', 'single'] as const) describe(`bookings under concurrency (BOOKINGS_WRITE_STRATEGY=${strategy})`, { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let child: CliProcess;
  let urls: string[];
  let admin: string;
  let users: { access_token: string }[];

  before(async () => {
    const sealingKey = newSealingKey();
    const env = { ...NO_AUTH_LIMITS, ...ADMIN_ENV, EVENT_SEALING_KEY: sealingKey, BOOKINGS_EXPIRE_EVERY_S: '1', BOOKINGS_WRITE_STRATEGY: strategy };
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

  it('2,000 requests through two processes for 100 seats: exactly 100 held, only 201 and 409, the ledger intact', async () => {
    const e = await eventOnSale(t.evently.app, admin, { capacity: 100, max_per_booking: 1, max_per_user: 100 });
    const answers = await pool(Array.from({ length: 2_000 }, (_, i) => () => post(`${urls[i % 2]}${BOOKINGS}`, users[i % users.length]!.access_token, { event_id: e.id, quantity: 1 })), 200);
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
});
