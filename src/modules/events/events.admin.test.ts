/**
 * SPEC §4 admin routes through HTTP on the real app: roles, validation naming the field, every
 * lifecycle transition legal and illegal, the delete and capacity rules, and the messages each change
 * commits with (checked against their contracts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { EVENTS_EVENTS } from '../../contracts/events.js';
import { contractViolation } from '../../contracts/contract.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { ADMIN_EVENTS, assertError, createEvent, eventBody, namesField, publishedEvent, seatsChanged, WITHOUT_BOOKINGS } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';

interface OutboxRow {
  type: string;
  version: number;
  payload: Record<string, unknown>;
}

describe('events admin API', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  let user: string;
  const as = (method: string, url: string, body?: unknown) => call(app, method, url, { token: admin, body });
  const messages = (id: string) => sqlRows<OutboxRow>(t.database.url, "select type, version, payload from events.outbox where payload->>'event_id' = $1 order by seq", [id]);

  before(async () => {
    t = await startTestEvently({ modules: WITHOUT_BOOKINGS, redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    user = (await signUp(app, `events-user-${Date.now()}@example.com`)).access_token;
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  describe('roles', () => {
    it('anonymous callers get 401 and users 403 on every admin route; nothing changes', async () => {
      const e = await createEvent(app, admin);
      const routes: [string, string, unknown?][] = [
        ['POST', ADMIN_EVENTS, eventBody()],
        ['PUT', `${ADMIN_EVENTS}/${e.id}`, eventBody()],
        ['PATCH', `${ADMIN_EVENTS}/${e.id}`, { title: 'Hijacked' }],
        ['POST', `${ADMIN_EVENTS}/${e.id}/publish`],
        ['POST', `${ADMIN_EVENTS}/${e.id}/cancel`, { reason: 'no' }],
        ['DELETE', `${ADMIN_EVENTS}/${e.id}`],
      ];
      for (const [method, url, body] of routes) {
        assertError(await call(app, method, url, { body }), 401, 'UNAUTHENTICATED', `anonymous ${method} ${url}`);
        assertError(await call(app, method, url, { token: user, body }), 403, 'FORBIDDEN', `user ${method} ${url}`);
      }
      // Turned away before the body is looked at: a stranger learns nothing of the schema.
      assertError(await call(app, 'POST', ADMIN_EVENTS, { body: { nonsense: true } }), 401, 'UNAUTHENTICATED', 'anonymous, bad body');
      assertError(await call(app, 'POST', ADMIN_EVENTS, { token: user, body: { nonsense: true } }), 403, 'FORBIDDEN', 'user, bad body');
      const [row] = await sqlRows<{ title: string; status: string; version: number }>(t.database.url, 'select title, status, version from events.events where id = $1', [e.id]);
      assert.deepEqual(row, { title: e.title, status: 'draft', version: 1 });
    });
  });

  describe('create', () => {
    it('makes a draft, normalised, with defaults: no description, UTC, USD, 10 per booking, as many per user', async () => {
      const r = await as('POST', ADMIN_EVENTS, { title: '  Jazz Night ', venue: ' Blue Note ', category: 'Live-Music', starts_at: '2031-06-01T19:30:00+02:00', capacity: 50, price: 19.5 });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.headers['cache-control'], 'no-store');
      const { id, created_at, updated_at, created_by, ...rest } = r.body;
      assert.ok(id && created_at && updated_at && created_by);
      assert.deepEqual(rest, {
        title: 'Jazz Night', description: '', venue: 'Blue Note', category: 'live-music',
        starts_at: '2031-06-01T17:30:00.000Z', ends_at: null, timezone: 'UTC', local_starts_at: '2031-06-01T17:30:00+00:00', local_ends_at: null,
        capacity: 50, available: 50, price: '19.50', currency: 'USD', max_per_booking: 10, max_per_user: 10,
        status: 'draft', is_upcoming: true, cancel_reason: null, version: 1, published_at: null, cancelled_at: null, completed_at: null,
      });
      const [created] = await messages(id);
      assert.equal(created!.type, 'events.event.created');
    });

    it('shows the venue\'s local time beside UTC, and takes a zone in any case', async () => {
      const e = await createEvent(app, admin, { starts_at: '2031-01-15T18:00:00Z', ends_at: '2031-01-15T21:00:00Z', timezone: 'america/new_york', currency: 'eur', max_per_booking: 4, max_per_user: 8 });
      assert.deepEqual([e.timezone, e.local_starts_at, e.local_ends_at, e.currency, e.max_per_user], ['America/New_York', '2031-01-15T13:00:00-05:00', '2031-01-15T16:00:00-05:00', 'EUR', 8]);
    });

    it('refuses bad input with 400 naming the field; nothing is stored', async () => {
      const before = (await sqlRows(t.database.url, 'select 1 from events.events')).length;
      const cases: [Record<string, unknown>, string][] = [
        [{ title: '   ' }, 'title'],
        [{ title: 'x'.repeat(256) }, 'title'],
        [{ venue: '' }, 'venue'],
        [{ category: 'Rock & Roll' }, 'category'],
        [{ timezone: 'Mars/Olympus' }, 'timezone'],
        [{ timezone: '+02:00' }, 'timezone'],
        [{ currency: 'XYZ' }, 'currency'],
        [{ price: 10.555 }, 'price'],
        [{ price: '10.555' }, 'price'],
        [{ price: -1 }, 'price'],
        [{ capacity: 0 }, 'capacity'],
        [{ capacity: '10' }, 'capacity'],
        [{ capacity: 2.5 }, 'capacity'],
        [{ starts_at: 'next friday' }, 'starts_at'],
        [{ starts_at: '2031-06-01T20:00:00Z', ends_at: '2031-06-01T19:00:00Z' }, 'ends_at'],
        [{ max_per_booking: 0 }, 'max_per_booking'],
        [{ max_per_booking: 5, max_per_user: 2 }, 'max_per_user'],
        [{ title: '\u200b\u2060' }, 'title'],
        [{ price: 1e-9 }, 'price'],
        [{ price: 0.1 + 0.2 }, 'price'],
        [{ starts_at: '0000-01-01T00:00:00Z' }, 'starts_at'],
        [{ starts_at: '9999-12-31T23:59:59Z', ends_at: null }, 'starts_at'],
        [{ status: 'published' }, 'status'],
        [{ created_by: '01a22c1a-f9ea-753f-9a99-24436bf71473' }, 'created_by'],
      ];
      for (const [override, field] of cases) {
        const r = await as('POST', ADMIN_EVENTS, eventBody(override));
        assertError(r, 400, 'VALIDATION_FAILED', JSON.stringify(override));
        assert.ok(namesField(r, field), `${JSON.stringify(override)} names ${field}: ${JSON.stringify(r.body)}`);
      }
      assert.equal((await sqlRows(t.database.url, 'select 1 from events.events')).length, before);
    });
  });

  describe('edit', () => {
    it('PATCH changes the fields given; the message says which, and flags a new time or venue', async () => {
      const e = await createEvent(app, admin);
      const r = await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { venue: 'O2 Arena', starts_at: new Date(Date.parse(e.starts_at) + 3_600_000).toISOString(), price: '30' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual([r.body.venue, r.body.price, r.body.title, r.body.version], ['O2 Arena', '30.00', e.title, 2]);
      const updated = (await messages(e.id)).at(-1)!;
      assert.equal(updated.type, 'events.event.updated');
      assert.deepEqual([(updated.payload.changed as string[]).sort(), updated.payload.schedule_changed, updated.payload.venue_changed, updated.payload.entity_version], [['price', 'starts_at', 'venue'], true, true, 2]);
      const price = await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { price: 31 });
      assert.equal(price.status, 200);
      const last = (await messages(e.id)).at(-1)!;
      assert.deepEqual([last.payload.changed, last.payload.schedule_changed, last.payload.venue_changed], [['price'], false, false]);
    });

    it('a PATCH that changes nothing answers the event as it is: no new version, no message', async () => {
      const e = await createEvent(app, admin, { price: '12.00' });
      const r = await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { price: 12, title: e.title });
      assert.deepEqual([r.status, r.body.version], [200, 1]);
      assert.equal((await messages(e.id)).length, 1);
      assertError(await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, {}), 400, 'VALIDATION_FAILED', 'an empty PATCH');
    });

    it('PUT replaces the event: what it leaves out goes back to its default', async () => {
      const e = await createEvent(app, admin, { description: 'Long text', timezone: 'Europe/Paris', currency: 'EUR', max_per_booking: 4, max_per_user: 6 });
      const r = await as('PUT', `${ADMIN_EVENTS}/${e.id}`, eventBody({ title: 'Replaced' }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual([r.body.title, r.body.description, r.body.timezone, r.body.currency, r.body.max_per_booking, r.body.max_per_user], ['Replaced', '', 'UTC', 'USD', 10, 10]);
      assertError(await as('PUT', `${ADMIN_EVENTS}/${e.id}`, { title: 'Only a title' }), 400, 'VALIDATION_FAILED', 'PUT without the required fields');
    });

    it('a published event cannot be moved into the past; ends_at never before starts_at', async () => {
      const e = await publishedEvent(app, admin);
      const past = await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { starts_at: '2020-01-01T00:00:00Z', ends_at: null });
      assertError(past, 400, 'VALIDATION_FAILED', 'a published event in the past');
      assert.ok(namesField(past, 'starts_at'));
      const order = await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { ends_at: new Date(Date.parse(e.starts_at) - 1000).toISOString() });
      assertError(order, 400, 'VALIDATION_FAILED', 'ends before it starts');
      assert.ok(namesField(order, 'ends_at'));
    });

    it('unknown id → 404 NOT_FOUND on every route; a malformed id → 400', async () => {
      const unknown = '01a22c1a-f9ea-753f-9a99-24436bf71473';
      for (const [method, path, body] of [['PUT', '', eventBody()], ['PATCH', '', { title: 'x' }], ['POST', '/publish'], ['POST', '/cancel', { reason: 'x' }], ['DELETE', '']] as const) {
        assertError(await as(method, `${ADMIN_EVENTS}/${unknown}${path}`, body), 404, 'NOT_FOUND', `${method} ${path}`);
        assertError(await as(method, `${ADMIN_EVENTS}/not-a-uuid${path}`, body), 400, 'VALIDATION_FAILED', `${method} ${path} malformed`);
      }
    });
  });

  describe('lifecycle', () => {
    it('draft → published → cancelled, each with its message; every illegal transition → 409 EVENT_STATE_CONFLICT', async () => {
      const e = await createEvent(app, admin);
      const path = (action = '') => `${ADMIN_EVENTS}/${e.id}${action}`;
      assertError(await as('POST', path('/cancel'), { reason: 'x' }), 409, 'EVENT_STATE_CONFLICT', 'cancel a draft');
      const published = await as('POST', path('/publish'));
      assert.deepEqual([published.status, published.body.status, published.body.version], [200, 'published', 2]);
      assert.ok(published.body.published_at);
      assertError(await as('POST', path('/publish')), 409, 'EVENT_STATE_CONFLICT', 'publish twice');
      assertError(await as('POST', path('/cancel'), { reason: '   ' }), 400, 'VALIDATION_FAILED', 'a blank reason');
      const cancelled = await as('POST', path('/cancel'), { reason: ' The band split up ' });
      assert.deepEqual([cancelled.status, cancelled.body.status, cancelled.body.cancel_reason], [200, 'cancelled', 'The band split up']);
      assertError(await as('POST', path('/cancel'), { reason: 'again' }), 409, 'EVENT_STATE_CONFLICT', 'cancel twice');
      assertError(await as('POST', path('/publish')), 409, 'EVENT_STATE_CONFLICT', 'publish a cancelled event');
      assertError(await as('PATCH', path(), { title: 'Back from the dead' }), 409, 'EVENT_STATE_CONFLICT', 'edit a cancelled event');
      const types = (await messages(e.id)).map((m) => m.type);
      assert.deepEqual(types, ['events.event.created', 'events.event.published', 'events.event.cancelled']);
      assert.equal((await messages(e.id)).at(-1)!.payload.reason, 'The band split up');
    });

    it('a draft that has started cannot be published (move it first)', async () => {
      const e = await createEvent(app, admin, { starts_at: '2020-03-01T20:00:00Z', ends_at: null });
      assertError(await as('POST', `${ADMIN_EVENTS}/${e.id}/publish`), 409, 'EVENT_STATE_CONFLICT', 'publish a past event');
      assert.equal((await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { starts_at: eventBody().starts_at })).status, 200);
      assert.equal((await as('POST', `${ADMIN_EVENTS}/${e.id}/publish`)).status, 200);
    });

    it('published events that have ended become completed (the periodic task); a completed event is final', async () => {
      const ended = await publishedEvent(app, admin);
      const running = await publishedEvent(app, admin);
      // Time travel: the first has ended, the second started an hour ago and ends in an hour.
      await sqlRows(t.database.url, "update events.events set starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' where id = $1", [ended.id]);
      await sqlRows(t.database.url, "update events.events set starts_at = now() - interval '1 hour', ends_at = now() + interval '1 hour' where id = $1", [running.id]);
      await t.evently.periodic.runNow('events.complete-ended');
      const completed = await as('GET', `/api/v1/events/${ended.id}`);
      assert.deepEqual([completed.body.status, completed.body.version, completed.body.is_upcoming], ['completed', 3, false]);
      assert.ok(completed.body.completed_at);
      assert.equal((await as('GET', `/api/v1/events/${running.id}`)).body.status, 'published');
      assert.equal((await messages(ended.id)).at(-1)!.type, 'events.event.completed');
      assertError(await as('POST', `${ADMIN_EVENTS}/${ended.id}/cancel`, { reason: 'too late' }), 409, 'EVENT_STATE_CONFLICT', 'cancel a completed event');
      assertError(await as('PATCH', `${ADMIN_EVENTS}/${ended.id}`, { title: 'Changed' }), 409, 'EVENT_STATE_CONFLICT', 'edit a completed event');
    });
  });

  describe('seats and deletion', () => {
    it('capacity may grow any time but never drops below the seats sold or held', async () => {
      const e = await publishedEvent(app, admin, { capacity: 100 });
      await seatsChanged(t.evently, { event_id: e.id, capacity: 100, held: 10, sold: 20, ledger_version: 1 });
      await eventually(async () => ((await as('GET', `/api/v1/events/${e.id}`)).body.available === 70 ? true : undefined), 'the seats projected');
      const below = await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { capacity: 29 });
      assertError(below, 409, 'CAPACITY_BELOW_BOOKED', 'capacity below the 30 taken');
      assert.ok(namesField(below, 'capacity'));
      assert.deepEqual([(await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { capacity: 30 })).body.available], [0]);
      assert.deepEqual([(await as('PATCH', `${ADMIN_EVENTS}/${e.id}`, { capacity: 500 })).body.available], [470]);
    });

    it('deletes drafts and events that never sold (404 afterwards); anything that sold or holds seats → 409 EVENT_HAS_BOOKINGS', async () => {
      const draft = await createEvent(app, admin);
      assert.equal((await as('DELETE', `${ADMIN_EVENTS}/${draft.id}`)).status, 204);
      assertError(await as('DELETE', `${ADMIN_EVENTS}/${draft.id}`), 404, 'NOT_FOUND', 'deleted twice');
      const deleted = (await messages(draft.id)).at(-1)!;
      assert.deepEqual([deleted.type, deleted.payload], ['events.event.deleted', { event_id: draft.id, entity_version: 2 }]);

      const quiet = await publishedEvent(app, admin);
      assert.equal((await as('DELETE', `${ADMIN_EVENTS}/${quiet.id}`)).status, 204, 'published, never sold');

      const held = await publishedEvent(app, admin);
      await seatsChanged(t.evently, { event_id: held.id, capacity: 100, held: 2, sold: 0, ledger_version: 1 });
      const sold = await publishedEvent(app, admin);
      await seatsChanged(t.evently, { event_id: sold.id, capacity: 100, held: 0, sold: 3, ledger_version: 1 });
      await seatsChanged(t.evently, { event_id: sold.id, capacity: 100, held: 0, sold: 0, ledger_version: 2 }); // all refunded since
      await eventually(async () => ((await sqlRows(t.database.url, 'select 1 from events.availability where event_id = $1 and ledger_version = 2', [sold.id])).length ? true : undefined), 'the refund projected');
      await eventually(async () => ((await sqlRows(t.database.url, 'select 1 from events.availability where event_id = $1', [held.id])).length ? true : undefined), 'the hold projected');
      assertError(await as('DELETE', `${ADMIN_EVENTS}/${held.id}`), 409, 'EVENT_HAS_BOOKINGS', 'an event holding seats');
      assertError(await as('DELETE', `${ADMIN_EVENTS}/${sold.id}`), 409, 'EVENT_HAS_BOOKINGS', 'an event that once sold');
      assert.equal((await as('POST', `${ADMIN_EVENTS}/${sold.id}/cancel`, { reason: 'cancel instead' })).status, 200);
    });
  });

  it('GET /docs/json lists every SPEC §4 path, the admin ones behind a bearer token', async () => {
    const paths = (await call(app, 'GET', '/docs/json')).body.paths as Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
    const expected: Record<string, string[]> = {
      '/api/v1/events': ['get'],
      '/api/v1/events/upcoming': ['get'],
      '/api/v1/events/{id}': ['get'],
      '/api/v1/events/{id}/capacity': ['get'],
      '/api/v1/admin/events': ['post'],
      '/api/v1/admin/events/{id}': ['delete', 'patch', 'put'],
      '/api/v1/admin/events/{id}/publish': ['post'],
      '/api/v1/admin/events/{id}/cancel': ['post'],
    };
    for (const [path, methods] of Object.entries(expected)) {
      assert.ok(paths[path], `${path} is documented`);
      assert.deepEqual(Object.keys(paths[path]).filter((m) => m !== 'parameters').sort(), methods, path);
      for (const m of methods) {
        const security: Record<string, unknown>[] = paths[path]?.[m]?.security ?? [];
        if (path.startsWith('/api/v1/admin/')) assert.deepEqual(security, [{ bearerAuth: [] }], `${m} ${path}`);
        else assert.ok(security.length === 0 || security.some((s: Record<string, unknown>) => Object.keys(s).length === 0), `${m} ${path} needs no token`);
      }
    }
  });

  it('every message the module wrote meets its contract and carries the version of the row it reports', async () => {
    const rows = await sqlRows<OutboxRow & { id: string }>(t.database.url, 'select id, type, version, payload from events.outbox order by seq');
    assert.ok(rows.length > 20);
    const violations = rows.map((r) => contractViolation(EVENTS_EVENTS, r)).filter(Boolean);
    assert.deepEqual(violations, []);
    const seen = new Set(rows.map((r) => r.type));
    for (const type of Object.keys(EVENTS_EVENTS)) assert.ok(seen.has(type), `a ${type} message was written`);
    const byEvent = new Map<string, number[]>();
    for (const r of rows) byEvent.set(r.payload.event_id as string, [...(byEvent.get(r.payload.event_id as string) ?? []), r.payload.entity_version as number]);
    for (const [id, versions] of byEvent) assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]!), `${id}: ${versions.join(', ')} only grow`);
  });
});
