/**
 * W7 of PERFORMANCE.md, as a test: a burst of bookings against the split deployment while its
 * parts fail. One bookings replica and the notifications worker are killed with SIGKILL (the
 * cluster starts them again), Redis is killed and restarted, PostgreSQL is shut down immediately
 * and restarted, on servers of the test's own. Clients retry as real ones would (the same
 * idempotency key, the other replica). Afterwards, with no manual action: no booking that got a
 * 2xx is lost, no seat is oversold, every mail of those bookings reached the SMTP server once (one
 * Message-ID each), and analytics equals the bookings database.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from '../support/suite.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, eventually, sqlRows } from '../support/auth.js';
import { api, startTestCluster, type TestCluster } from '../support/cluster.js';
import { eventBody } from '../support/events.js';
import { startOwnPostgres, startOwnRedis, type OwnServer } from '../support/faults.js';
import { skipWithoutRedis } from '../support/redis.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';

const USERS = 16;
const BURST_MS = 24_000;

interface Outcome { id: string; reference: string; token: string; confirmed: boolean }

describe('the split deployment under faults (W7)', { skip: skipWithoutRedis() }, () => {
  let smtp: TestSmtp;
  let pg: OwnServer;
  let redis: OwnServer;
  let c: TestCluster;
  let admin: string;
  const run = Date.now();
  const log: string[] = [];
  const note = (s: string) => log.push(`${new Date().toISOString().slice(11, 23)} ${s}`);

  before(async () => {
    smtp = await startTestSmtp();
    pg = await startOwnPostgres();
    redis = await startOwnRedis();
    c = await startTestCluster({
      SMTP_URL: smtp.url, EVENTLY_ADMIN_EMAIL: ADMIN_EMAIL, EVENTLY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AUTH_RATE_LIMITS: 'false', AUTH_OTP_RESEND_COOLDOWN_S: '0', OUTBOX_POLL_MS: '200', BOOKINGS_SIMULATED_LATENCY_MS: '0',
    }, { adminDatabaseUrl: pg.url, redisUrl: redis.url });
    admin = (await api(`${c.url.auth}/api/v1/auth/login`, 'POST', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.access_token;
  }, { timeout: 240_000 });
  after(async () => {
    await c?.stop().catch(() => undefined);
    await redis?.stop();
    await pg?.stop();
    await smtp?.close();
  }, { timeout: 120_000 });

  /** A client that retries what failed for want of a server: network errors and 5xx, the same key, the other replica. */
  async function retrying(paths: string[], method: string, o: { token: string; body?: unknown; key?: string }): Promise<{ status: number; body: any; code?: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any
    for (let attempt = 0; ; attempt++) {
      const url = paths[attempt % paths.length]!;
      try {
        const res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${o.token}`, ...(o.key ? { 'idempotency-key': o.key } : {}), ...(o.body ? { 'content-type': 'application/json' } : {}) },
          body: o.body ? JSON.stringify(o.body) : undefined,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        const body = text ? JSON.parse(text) : undefined;
        if (res.status < 500) return { status: res.status, body, code: body?.error?.code };
        note(`${method} ${url} → ${res.status} ${body?.error?.code ?? ''}`);
      } catch (err) {
        note(`${method} ${url} → ${(err as Error).name}`);
      }
      if (attempt > 400) throw new Error(`${method} ${paths[0]} kept failing`);
      await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 4)));
    }
  }

  it('kill -9 a bookings replica and the worker, restart Redis, restart PostgreSQL: nothing lost, nothing oversold, each mail once, analytics converges', async () => {
    const created = await api(`${c.url.events}/api/v1/admin/events`, 'POST', { token: admin, body: eventBody({ capacity: 5_000, price: '5.00', max_per_booking: 1, max_per_user: 1_000 }) });
    assert.equal(created.status, 201);
    const eventId = created.body.id as string;
    assert.equal((await api(`${c.url.events}/api/v1/admin/events/${eventId}/publish`, 'POST', { token: admin })).status, 200);
    await eventually(async () => ((await api(`${c.url.bookings}/api/v1/availability/events/${eventId}/check`, 'GET')).body?.bookable ? true : undefined), 'the event on sale', 30_000);

    const tokens: string[] = [];
    for (let i = 0; i < USERS; i++) {
      const email = `fault-${i}-${run}@example.com`;
      assert.equal((await api(`${c.url.auth}/api/v1/auth/register`, 'POST', { body: { email, username: `fault${i}x${run}`, password: PASSWORD } })).status, 202);
      const code = await eventually(async () => smtp.to(email).map((m) => /verify your email address: (\d{6})/.exec(m.body)?.[1]).find(Boolean), `the code to ${email}`, 30_000);
      assert.equal((await api(`${c.url.auth}/api/v1/auth/verify-email`, 'POST', { body: { email, otp: code, password: PASSWORD } })).status, 200);
      tokens.push((await api(`${c.url.auth}/api/v1/auth/login`, 'POST', { body: { email, password: PASSWORD } })).body.access_token);
    }

    const replicas = [c.url.bookings, c.url.bookings2].map((u) => `${u}/api/v1/bookings`);
    const outcomes: Outcome[] = [];
    let stop = false;
    const client = async (u: number) => {
      const token = tokens[u]!;
      for (let n = 0; !stop; n++) {
        const order = u % 2 ? [...replicas].reverse() : replicas;
        const r = await retrying(order, 'POST', { token, body: { event_id: eventId, quantity: 1 }, key: `u${u}-${n}` });
        assert.equal(r.status, 201, `booking u${u}-${n}: ${r.status} ${JSON.stringify(r.body)}`);
        const outcome: Outcome = { id: r.body.id, reference: r.body.reference, token, confirmed: false };
        outcomes.push(outcome);
        if (n % 2 === 0) {
          const confirmed = await retrying(order.map((x) => `${x}/${outcome.id}/confirm`), 'PUT', { token });
          assert.equal(confirmed.status, 200, `confirm ${outcome.id}: ${JSON.stringify(confirmed.body)}`);
          outcome.confirmed = true;
        }
        await sleep(150);
      }
    };
    const clients = Promise.all(Array.from({ length: USERS }, (_, u) => client(u)));

    const kill = (port: string, name: string) => {
      const pid = c.pidOf(Number(new URL(port).port));
      assert.ok(pid, `the pid of ${name}`);
      process.kill(pid, 'SIGKILL');
      note(`killed ${name} (${pid})`);
    };
    await sleep(3_000);
    kill(c.url.bookings, 'bookings replica 1');
    kill(c.url.notifications, 'the notifications worker');
    await sleep(5_000);
    note('restarting Redis');
    await redis.restart();
    await sleep(5_000);
    note('restarting PostgreSQL');
    await pg.restart();
    note('PostgreSQL back');
    await sleep(BURST_MS - 13_000);
    stop = true;
    await clients;
    note(`burst over: ${outcomes.length} bookings`);
    assert.ok(outcomes.length > 100, `a burst worth the name (${outcomes.length})`);

    // Nothing that got a 2xx is lost.
    const rows = await sqlRows<{ id: string; status: string; quantity: number; reference: string }>(c.database.url, 'select id, status, quantity, reference from bookings.bookings where event_id = $1', [eventId]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const o of outcomes) {
      const row = byId.get(o.id);
      assert.ok(row, `booking ${o.id} answered 201 and is gone`);
      assert.equal(row.status, o.confirmed ? 'confirmed' : 'pending', `booking ${o.id}`);
    }
    assert.equal(rows.length, outcomes.length, 'no booking the clients did not get (idempotency held across replicas and restarts)');
    // Nothing oversold, and the ledger counts exactly the bookings.
    const [ledger] = await sqlRows<{ total: number; held: number; sold: number }>(c.database.url, 'select total, held, confirmed as sold from bookings.ledgers where event_id = $1', [eventId]);
    const held = rows.filter((r) => r.status === 'pending').length;
    const sold = rows.filter((r) => r.status === 'confirmed').length;
    assert.deepEqual({ held: ledger!.held, sold: ledger!.sold }, { held, sold });
    assert.ok(held + sold <= ledger!.total);

    // Every mail of those bookings, once: one held mail per booking, one confirmation per confirmed one.
    const mailsOf = (reference: string, subject: string) => smtp.messages.filter((m) => m.body.includes(reference) && m.body.includes(`Subject: ${subject}`));
    const messageIds = (ms: { body: string }[]) => new Set(ms.map((m) => /^Message-ID: (.*)$/im.exec(m.body)?.[1]));
    await eventually(async () => (rows.every((r) => mailsOf(r.reference, 'Your seats are held').length >= 1 && (r.status !== 'confirmed' || mailsOf(r.reference, 'Your booking is confirmed').length >= 1)) ? true : undefined),
      'every mail of the burst', 180_000).catch(async (err) => {
      const missing = rows.filter((r) => !mailsOf(r.reference, 'Your seats are held').length).length;
      const states = await sqlRows(c.database.url, 'select template, status, last_error, count(*)::int as n from notifications.mail_log group by 1, 2, 3 order by 1, 2');
      assert.fail(`${err}: ${missing} held mails missing; mail_log ${JSON.stringify(states)}\n${log.slice(-40).join('\n')}`);
    });
    await sleep(2_000);
    let resent = 0;
    for (const r of rows) {
      for (const subject of ['Your seats are held', ...(r.status === 'confirmed' ? ['Your booking is confirmed'] : [])]) {
        const ms = mailsOf(r.reference, subject);
        assert.equal(messageIds(ms).size, 1, `${subject} of ${r.reference}: ${ms.length} deliveries`);
        resent += ms.length - 1;
      }
    }
    note(`mails: ${smtp.messages.length} delivered, ${resent} delivered again after an interrupted send (same Message-ID)`);

    // Analytics converges to the bookings database.
    await eventually(async () => {
      const s = (await api(`${c.url.analytics}/api/v1/analytics/events?event_id=${eventId}`, 'GET', { token: admin })).body?.items?.[0];
      return s && s.bookings.holds === rows.length && s.bookings.confirmed === sold && s.bookings.pending === held && s.tickets.sold === sold ? true : undefined;
    }, 'analytics to equal the bookings database', 120_000);
    console.log(log.filter((l) => !/→/.test(l)).join('\n'), `\n${log.filter((l) => /→/.test(l)).length} failed attempts retried`);
  });
});
