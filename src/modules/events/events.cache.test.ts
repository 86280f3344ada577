/**
 * The catalogue's cache and seats on the real stack: two app instances sharing PostgreSQL and Redis
 * (a change through one is seen through the other's cached reads within a second), single flight
 * (100 concurrent misses, one database read), hits identical to misses, seats that never move back,
 * and a change that commits with its message or not at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, sqlRows } from '../../../test/support/auth.js';
import { ADMIN_EVENTS, publishedEvent, seatsChanged, WITHOUT_BOOKINGS } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';
import type { App } from '../../kernel/index.js';

/** The events module's cache counters, read from this process's /metrics. */
async function cacheLoads(app: App, kind: string): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = text.split('\n').find((l) => l.startsWith('evently_events_cache_loads_total{') && l.includes(`kind="${kind}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Waits until this module's own consumer has handled every message it wrote (its cache invalidations are done). */
async function settled(t: TestEvently): Promise<void> {
  await eventually(async () => {
    const [row] = await sqlRows<{ n: number }>(t.database.url, `
      select count(*)::int as n from events.outbox o
      where o.published_at is null or not exists (select 1 from events.inbox i where i.event_id = o.id and i.consumer = 'events.cache')`);
    return row!.n === 0 ? true : undefined;
  }, 'the cache consumer caught up');
}

describe('events cache across instances', { skip: skipWithoutRedis() }, () => {
  let a: TestEvently;
  let b: TestEvently;
  let admin: string;

  before(async () => {
    a = await startTestEvently({ modules: WITHOUT_BOOKINGS, redis: true, env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    b = await startTestEvently({ modules: WITHOUT_BOOKINGS, redis: true, database: a.database, redisPrefix: a.redisPrefix, env: NO_AUTH_LIMITS });
    admin = (await login(a.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  }, { timeout: 60_000 });
  after(async () => {
    await b?.close();
    await a?.close();
  }, { timeout: 60_000 });

  it('a change through instance A shows in instance B\'s cached detail and list reads within 1 s', async () => {
    const e = await publishedEvent(a.evently.app, admin, { title: 'Before The Change', category: 'crosscheck' });
    await settled(a);
    const read = () => call(b.evently.app, 'GET', `/api/v1/events/${e.id}`);
    const listed = () => call(b.evently.app, 'GET', '/api/v1/events?category=crosscheck');
    assert.equal((await read()).body.title, 'Before The Change');
    assert.equal((await listed()).body.items[0].title, 'Before The Change');
    const loads = await cacheLoads(b.evently.app, 'detail');
    assert.equal((await read()).body.title, 'Before The Change');
    assert.equal(await cacheLoads(b.evently.app, 'detail'), loads, 'B serves it from its cache');

    const changedAt = Date.now();
    assert.equal((await call(a.evently.app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { title: 'After The Change' } })).status, 200);
    await eventually(async () => ((await read()).body.title === 'After The Change' ? true : undefined), 'the detail through B', 1_000);
    await eventually(async () => ((await listed()).body.items[0].title === 'After The Change' ? true : undefined), 'the list through B', 1_000);
    assert.ok(Date.now() - changedAt < 1_000, `seen through B after ${Date.now() - changedAt} ms`);
  });

  it('a seat count consumed by either instance shows in both within 1 s', async () => {
    const e = await publishedEvent(a.evently.app, admin, { capacity: 50 });
    await settled(a);
    for (const app of [a.evently.app, b.evently.app]) assert.equal((await call(app, 'GET', `/api/v1/events/${e.id}`)).body.available, 50);
    await seatsChanged(a.evently, { event_id: e.id, capacity: 50, held: 5, sold: 10, ledger_version: 1 });
    for (const app of [a.evently.app, b.evently.app]) {
      await eventually(async () => ((await call(app, 'GET', `/api/v1/events/${e.id}`)).body.available === 35 ? true : undefined), 'the seats in each instance', 1_000);
      await eventually(async () => ((await call(app, 'GET', `/api/v1/events/${e.id}/capacity`)).body.available === 35 ? true : undefined), 'the capacity in each instance', 1_000);
    }
  });

  it('a burst of seat counts reloads list pages about once a second, not once per count, and the last count shows', async () => {
    const e = await publishedEvent(a.evently.app, admin, { capacity: 100, category: 'burst' });
    await settled(a);
    const listed = async () => (await call(a.evently.app, 'GET', '/api/v1/events?category=burst')).body.items[0].available as number;
    assert.equal(await listed(), 100);
    const before = await cacheLoads(a.evently.app, 'list');
    // 20 counts over ~600 ms (as a sale would send them), the list read every 10 ms meanwhile.
    let sending = true;
    const reading = (async () => {
      while (sending) {
        await listed();
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    for (let v = 1; v <= 20; v++) {
      await seatsChanged(a.evently, { event_id: e.id, capacity: 100, held: 0, sold: v, ledger_version: v });
      await new Promise((r) => setTimeout(r, 30));
    }
    const lastAt = Date.now();
    await eventually(async () => ((await listed()) === 80 ? true : undefined), 'the last count in the list', 2_000);
    sending = false;
    await reading;
    assert.ok(Date.now() - lastAt < 1_500, `the last count listed after ${Date.now() - lastAt} ms`);
    // Each instance's consumer refreshes lists at the first count and at most once a second after it.
    const loads = await cacheLoads(a.evently.app, 'list') - before;
    assert.ok(loads <= 6, `${loads} list loads for 20 counts`);
    assert.equal((await call(a.evently.app, 'GET', `/api/v1/events/${e.id}`)).body.available, 80, 'the event page at once');
  });

  it('a hit answers exactly what the miss did, in either instance', async () => {
    const e = await publishedEvent(a.evently.app, admin);
    await settled(a);
    const urls = [`/api/v1/events/${e.id}`, `/api/v1/events/${e.id}/capacity`, '/api/v1/events?sort=-price&size=7'];
    for (const url of urls) {
      const miss = await a.evently.app.inject({ method: 'GET', url });
      const hit = await a.evently.app.inject({ method: 'GET', url });
      const other = await b.evently.app.inject({ method: 'GET', url });
      for (const r of [hit, other]) {
        assert.equal(r.body, miss.body, url);
        assert.equal(r.headers.etag, miss.headers.etag, url);
        assert.equal(r.headers['content-type'], miss.headers['content-type'], url);
      }
      assert.match(String(miss.headers['content-type']), /^application\/json/);
    }
  });

  it('100 concurrent misses of one page cause one database read', async () => {
    const e = await publishedEvent(a.evently.app, admin);
    await settled(a);
    const app = a.evently.app;
    for (const kind of ['detail', 'capacity'] as const) {
      const url = kind === 'detail' ? `/api/v1/events/${e.id}` : `/api/v1/events/${e.id}/capacity`;
      const before = await cacheLoads(app, kind);
      const answers = await Promise.all(Array.from({ length: 100 }, () => app.inject({ method: 'GET', url })));
      assert.deepEqual([...new Set(answers.map((r) => r.statusCode))], [200]);
      assert.equal(new Set(answers.map((r) => r.body)).size, 1);
      assert.equal(await cacheLoads(app, kind) - before, 1, `${kind}: one load for 100 concurrent misses`);
    }
    const before = await cacheLoads(app, 'list');
    await Promise.all(Array.from({ length: 100 }, () => app.inject({ method: 'GET', url: '/api/v1/events?sort=price&size=3' })));
    assert.equal(await cacheLoads(app, 'list') - before, 1, 'list: one load for 100 concurrent misses');
  });
});

describe('events seats and atomic changes', () => {
  let t: TestEvently;
  let admin: string;

  before(async () => {
    t = await startTestEvently({ modules: WITHOUT_BOOKINGS, redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    admin = (await login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('a late or repeated seat count never moves `available` back', async () => {
    const e = await publishedEvent(t.evently.app, admin, { capacity: 100 });
    const available = async () => (await call(t.evently.app, 'GET', `/api/v1/events/${e.id}`)).body.available as number;
    const version = async () => (await sqlRows<{ ledger_version: number }>(t.database.url, 'select ledger_version from events.availability where event_id = $1', [e.id]))[0]?.ledger_version;
    await seatsChanged(t.evently, { event_id: e.id, capacity: 100, held: 0, sold: 30, ledger_version: 7 });
    await eventually(async () => ((await version()) === 7 ? true : undefined), 'version 7 projected');
    assert.equal(await available(), 70);
    // An older count (delivered late), then the same count again (delivered twice).
    await seatsChanged(t.evently, { event_id: e.id, capacity: 100, held: 0, sold: 10, ledger_version: 5 });
    await seatsChanged(t.evently, { event_id: e.id, capacity: 100, held: 0, sold: 30, ledger_version: 7 });
    await seatsChanged(t.evently, { event_id: e.id, capacity: 100, held: 2, sold: 30, ledger_version: 8 });
    await eventually(async () => ((await version()) === 8 ? true : undefined), 'version 8 projected');
    assert.equal(await available(), 68, 'only the newer count applied');
    const [row] = await sqlRows<{ taken: number; sold_ever: boolean }>(t.database.url, 'select taken, sold_ever from events.availability where event_id = $1', [e.id]);
    assert.deepEqual(row, { taken: 32, sold_ever: true });
  });

  it('an id in upper case reads the same cached page, which every change drops (admin ids in any case too)', async () => {
    const e = await publishedEvent(t.evently.app, admin, { title: 'Case Blind', capacity: 100 });
    const upper = (e.id as string).toUpperCase();
    const read = async (path: string) => (await call(t.evently.app, 'GET', path)).body;
    assert.equal((await read(`/api/v1/events/${upper}`)).title, 'Case Blind');
    assert.equal((await read(`/api/v1/events/${upper}/capacity`)).available, 100);
    assert.equal((await call(t.evently.app, 'PATCH', `${ADMIN_EVENTS}/${upper}`, { token: admin, body: { title: 'Still Case Blind' } })).status, 200);
    await seatsChanged(t.evently, { event_id: e.id, capacity: 100, held: 0, sold: 30, ledger_version: 1 });
    for (const id of [upper, e.id as string]) {
      await eventually(async () => ((await read(`/api/v1/events/${id}`)).title === 'Still Case Blind' ? true : undefined), `the new title through ${id}`, 1_000);
      await eventually(async () => ((await read(`/api/v1/events/${id}/capacity`)).available === 70 ? true : undefined), `the seats through ${id}`, 1_000);
    }
    const [message] = await sqlRows<{ id: string }>(t.database.url, "select payload->>'event_id' as id from events.outbox where type = 'events.event.updated' and payload->>'title' = 'Still Case Blind'");
    assert.equal(message?.id, e.id, 'messages carry the id in lower case');
  });

  it('a change commits with its message or not at all', async () => {
    const e = await publishedEvent(t.evently.app, admin, { title: 'Steady' });
    // The outbox refuses this one message: the change it reports must not commit without it.
    await sqlRows(t.database.url, `
      create function events.refuse_update() returns trigger language plpgsql as $$
      begin raise exception 'the outbox is failing'; end $$;
      create trigger refuse_update before insert on events.outbox for each row
        when (new.type = 'events.event.updated') execute function events.refuse_update();`);
    try {
      const r = await call(t.evently.app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { title: 'Lost' } });
      assert.ok(r.status >= 500, `the change failed: ${r.status}`);
      const [row] = await sqlRows<{ title: string; version: number }>(t.database.url, 'select title, version from events.events where id = $1', [e.id]);
      assert.deepEqual(row, { title: 'Steady', version: 2 }, 'the event is as it was');
      assert.equal((await call(t.evently.app, 'GET', `/api/v1/events/${e.id}`)).body.title, 'Steady');
    } finally {
      await sqlRows(t.database.url, 'drop trigger refuse_update on events.outbox; drop function events.refuse_update()');
    }
    assert.equal((await call(t.evently.app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { title: 'Changed' } })).status, 200);
    const messages = await sqlRows<{ type: string; title: string }>(t.database.url, "select type, payload->>'title' as title from events.outbox where payload->>'event_id' = $1 order by seq", [e.id]);
    assert.deepEqual(messages.map((m) => [m.type, m.title]), [['events.event.created', 'Steady'], ['events.event.published', 'Steady'], ['events.event.updated', 'Changed']]);
  });
});
