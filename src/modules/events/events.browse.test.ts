/**
 * SPEC §4 public browse through HTTP on the real app, over a catalogue built for it: every filter and
 * sort, search ranking, pagination edges and ties, who sees what (anonymous, user, admin), ETag/304.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows, type Called } from '../../../test/support/auth.js';
import { ADMIN_EVENTS, assertError, createEvent, namesField, publishedEvent, seatsChanged, WITHOUT_BOOKINGS } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';

const DAY = 86_400_000;
const inDays = (d: number, hour = 19) => {
  const at = new Date(Date.now() + d * DAY);
  at.setUTCHours(hour, 0, 0, 0);
  return at.toISOString();
};

type Item = { id: string; title: string; price: string; starts_at: string; created_at: string; [k: string]: unknown };

describe('events public browse', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  let user: string;
  const ids: Record<string, string> = {};
  const get = (url: string, o: { token?: string; headers?: Record<string, string> } = {}) => call(app, 'GET', url, o);
  const titles = (r: Called) => (r.body.items as Item[]).map((i) => i.title);
  const list = async (query: string) => {
    const r = await get(`/api/v1/events?${query}`);
    assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
    return r;
  };

  before(async () => {
    t = await startTestEvently({ modules: WITHOUT_BOOKINGS, redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    user = (await signUp(app, `browser-${Date.now()}@example.com`)).access_token;
    const publish = async (key: string, fields: Record<string, unknown>) => (ids[key] = (await publishedEvent(app, admin, { ends_at: null, ...fields })).id);
    await publish('jazzNight', { title: 'Jazz Night', category: 'music', venue: 'Blue Note Club', starts_at: inDays(10), price: '25.00', description: 'A smooth quartet' });
    await publish('rock', { title: 'Rock Festival', category: 'music', venue: 'Wembley Stadium', starts_at: inDays(20), price: '80.00', description: 'Loud guitars, and a jazz fusion stage' });
    await publish('brunch', { title: 'Jazz Brunch', category: 'food', venue: 'Blue Note Club', starts_at: inDays(5), price: '15.00', description: 'Eggs, coffee and live jazz' });
    await publish('conf', { title: 'Tech Conference', category: 'tech', venue: 'ExCeL London', starts_at: inDays(40), price: '300.00', description: 'Talks about databases' });
    await publish('meetup', { title: 'Database Meetup', category: 'tech', venue: 'Google Campus', starts_at: inDays(12), price: '0.00', description: 'PostgreSQL internals' });
    await publish('opera', { title: 'Opera Gala', category: 'music', venue: 'Royal Opera House', starts_at: inDays(60), price: '150.00', description: 'Arias' });
    // Three alike in time and price: only the id orders them.
    for (const k of ['tieA', 'tieB', 'tieC']) await publish(k, { title: `Tie ${k.slice(-1)}`, category: 'tie', venue: 'Same Hall', starts_at: inDays(30, 12), price: '50.00' });
    await publish('soldOut', { title: 'Sold Out Show', category: 'music', venue: 'Tiny Room', starts_at: inDays(15), price: '20.00', capacity: 10 });
    await publish('running', { title: 'Running Workshop', category: 'tech', venue: 'Hackspace', starts_at: inDays(2), price: '5.00' });
    ids.draft = (await createEvent(app, admin, { title: 'Secret Gig', category: 'music', starts_at: inDays(8) })).id;
    await publish('cancelled', { title: 'Cancelled Jazz', category: 'music', venue: 'Blue Note Club', starts_at: inDays(9), price: '10.00' });
    assert.equal((await call(app, 'POST', `${ADMIN_EVENTS}/${ids.cancelled}/cancel`, { token: admin, body: { reason: 'Storm' } })).status, 200);
    // It started an hour ago and ends tomorrow: published, no longer upcoming.
    await sqlRows(t.database.url, "update events.events set starts_at = now() - interval '1 hour', ends_at = now() + interval '1 day' where id = $1", [ids.running]);
    await seatsChanged(t.evently, { event_id: ids.soldOut!, capacity: 10, held: 4, sold: 6, ledger_version: 1 });
    await eventually(async () => ((await get(`/api/v1/events/${ids.soldOut}/capacity`)).body.available === 0 ? true : undefined), 'the sold-out seats projected');
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  describe('the list', () => {
    it('shows published events only, soonest first, with the paging fields', async () => {
      const r = await list('');
      const ties = [ids.tieA!, ids.tieB!, ids.tieC!].sort().map((id) => ({ [ids.tieA!]: 'Tie A', [ids.tieB!]: 'Tie B', [ids.tieC!]: 'Tie C' })[id]);
      assert.deepEqual(titles(r), ['Running Workshop', 'Jazz Brunch', 'Jazz Night', 'Database Meetup', 'Sold Out Show', 'Rock Festival', ...ties, 'Tech Conference', 'Opera Gala']);
      assert.deepEqual([r.body.total, r.body.page, r.body.size, r.body.has_next, r.body.has_prev], [11, 1, 20, false, false]);
      const starts = (r.body.items as Item[]).map((i) => i.starts_at);
      assert.deepEqual(starts, [...starts].sort(), 'ascending start');
      assert.ok(!titles(r).includes('Secret Gig') && !titles(r).includes('Cancelled Jazz'), 'no draft, no cancelled event');
      const item = (r.body.items as Item[]).find((i) => i.id === ids.jazzNight)!;
      assert.equal(item.created_by, undefined, 'no internal ids for the public');
      assert.deepEqual([item.available, item.is_upcoming, item.status], [100, true, 'published']);
    });

    it('filters by category, venue (any case, any part), price range, dates, upcoming and seats left', async () => {
      assert.deepEqual(new Set(titles(await list('category=music'))), new Set(['Jazz Night', 'Rock Festival', 'Opera Gala', 'Sold Out Show']));
      assert.deepEqual(new Set(titles(await list('category=MUSIC'))), new Set(['Jazz Night', 'Rock Festival', 'Opera Gala', 'Sold Out Show']));
      assert.deepEqual(titles(await list('venue=blue%20NOTE')), ['Jazz Brunch', 'Jazz Night']);
      assert.deepEqual(titles(await list('venue=50%25')), [], 'a % in the filter is a character, not a wildcard');
      const priced = (await list('price_min=20&price_max=80&sort=price')).body.items as Item[];
      assert.deepEqual(priced.map((i) => i.price), ['20.00', '25.00', '50.00', '50.00', '50.00', '80.00']);
      assert.deepEqual(titles(await list('price_max=0')), ['Database Meetup'], 'free events');
      const from = inDays(11).slice(0, 10);
      const to = inDays(20).slice(0, 10);
      assert.deepEqual(titles(await list(`from=${from}&to=${to}`)), ['Database Meetup', 'Sold Out Show', 'Rock Festival'], 'the whole last day included');
      assert.deepEqual(titles(await list(`from=${encodeURIComponent(inDays(20))}&category=music`)), ['Rock Festival', 'Opera Gala'], 'a date-time bound');
      assert.ok(titles(await list('upcoming=false')).includes('Running Workshop'));
      assert.ok(!titles(await list('upcoming=true')).includes('Running Workshop'), 'started: not upcoming');
      assert.ok(!titles(await list('has_seats=true')).includes('Sold Out Show'));
      assert.equal((await list('has_seats=true')).body.total, 10);
    });

    it('searches title, venue and description, ranked: a title match above a description match', async () => {
      const r = await list('q=jazz');
      assert.deepEqual(new Set(titles(r).slice(0, 2)), new Set(['Jazz Night', 'Jazz Brunch']), 'title matches first');
      assert.equal(titles(r).at(-1), 'Rock Festival', 'the description match last');
      assert.equal(r.body.total, 3, 'the cancelled jazz event is not public');
      assert.deepEqual(titles(await list('q=databases')), ['Database Meetup', 'Tech Conference'], 'stemmed (database, databases); the title match first');
      assert.deepEqual(titles(await list('q=%22live%20jazz%22')), ['Jazz Brunch'], 'a phrase');
      assert.deepEqual(titles(await list('q=jazz%20-brunch&sort=starts_at')), ['Jazz Night', 'Rock Festival'], 'a word left out, sorted by start');
      assert.deepEqual(titles(await list('q=wembley')), ['Rock Festival'], 'the venue');
      assert.deepEqual(titles(await list('q=nothing-like-this')), []);
    });

    it('sorts by price, start and creation, either way, ties broken by id', async () => {
      const asc = (await list('sort=price&size=100')).body.items as Item[];
      const desc = (await list('sort=-price&size=100')).body.items as Item[];
      assert.deepEqual(desc.map((i) => i.id), asc.map((i) => i.id).reverse(), 'descending is the exact reverse, ties included');
      const ties = asc.filter((i) => i.title.startsWith('Tie')).map((i) => i.id);
      assert.deepEqual(ties, [...ties].sort(), 'equal prices in id order');
      const byStart = (await list('sort=-starts_at')).body.items as Item[];
      assert.equal(byStart[0]!.title, 'Opera Gala');
      const created = (await list('sort=created_at&size=100')).body.items as Item[];
      assert.deepEqual(created.map((i) => i.created_at), created.map((i) => i.created_at).sort());
    });

    it('pages never repeat or skip a row, ties included; past the end an empty page with the total', async () => {
      for (const sort of ['starts_at', '-price', 'created_at']) {
        const all = ((await list(`sort=${sort}&size=100`)).body.items as Item[]).map((i) => i.id);
        const paged: string[] = [];
        for (let page = 1; ; page++) {
          const r = await list(`sort=${sort}&size=5&page=${page}`);
          paged.push(...(r.body.items as Item[]).map((i) => i.id));
          assert.equal(r.body.has_prev, page > 1);
          if (!r.body.has_next) {
            assert.equal(page, 3, `${sort}: 11 rows in pages of 5`);
            break;
          }
        }
        assert.deepEqual(paged, all, `${sort}: the pages are the whole list, in order`);
      }
      const past = await list('page=9&size=5');
      assert.deepEqual([past.body.items, past.body.total, past.body.has_next, past.body.has_prev], [[], 11, false, true]);
      const last = await list('page=3&size=5');
      assert.deepEqual([(last.body.items as Item[]).length, last.body.has_next], [1, false]);
    });

    it('refuses bad queries with 400 naming the parameter', async () => {
      const cases: [string, string][] = [
        ['size=101', 'size'], ['size=0', 'size'], ['page=0', 'page'], ['sort=price_asc', 'sort'], ['sort=relevance', 'sort'],
        ['from=yesterday', 'from'], ['from=2031-13-45', 'from'], ['price_min=cheap', 'price_min'], ['price_min=50&price_max=10', 'price_max'],
        [`from=${inDays(10)}&to=${inDays(5)}`.replace(/:/g, '%3A'), 'to'], ['upcoming=maybe', 'upcoming'], ['colour=red', 'colour'],
        ['q=%20&sort=relevance', 'sort'], ['q=%E3%80%80&sort=relevance', 'sort'],
      ];
      for (const [query, field] of cases) {
        const r = await get(`/api/v1/events?${query}`);
        assertError(r, 400, 'VALIDATION_FAILED', query);
        assert.ok(namesField(r, field) || JSON.stringify(r.body).includes(field), `${query} names ${field}: ${JSON.stringify(r.body)}`);
      }
      // A search of nothing but white space is no search: the whole list, in start order.
      for (const blank of ['%20', '%09', '%C2%A0', '%E3%80%80']) {
        const r = await list(`q=${blank}`);
        assert.deepEqual(titles(r), titles(await list('')), `q=${blank}`);
      }
      assertError(await get('/api/v1/events?status=draft'), 403, 'FORBIDDEN', 'a status filter, anonymous');
      assertError(await get('/api/v1/events?status=draft', { token: user }), 403, 'FORBIDDEN', 'a status filter, a user');
    });

    it('admins see every status (or those asked for), with created_by, never cached', async () => {
      const all = await get('/api/v1/events?size=100', { token: admin });
      assert.equal(all.body.total, 13);
      assert.equal(all.headers['cache-control'], 'private, no-store');
      assert.ok((all.body.items as Item[]).every((i) => typeof i.created_by === 'string'));
      assert.deepEqual(titles(await get('/api/v1/events?status=draft', { token: admin })), ['Secret Gig']);
      assert.deepEqual(new Set(titles(await get('/api/v1/events?status=draft&status=cancelled', { token: admin }))), new Set(['Secret Gig', 'Cancelled Jazz']));
      const asUser = await get('/api/v1/events?size=100', { token: user });
      assert.equal(asUser.body.total, 11, 'a user sees the public catalogue');
    });

    it('upcoming: published events not started yet, soonest first', async () => {
      const r = await get('/api/v1/events/upcoming?size=3');
      assert.equal(r.status, 200);
      assert.deepEqual(titles(r), ['Jazz Brunch', 'Jazz Night', 'Database Meetup']);
      assert.deepEqual([r.body.total, r.body.has_next], [10, true]);
      assert.deepEqual(titles(await get('/api/v1/events/upcoming?category=tech')), ['Database Meetup', 'Tech Conference']);
    });
  });

  describe('one event', () => {
    it('the public sees published, cancelled and completed events; drafts only admins (404 for the rest)', async () => {
      const pub = await get(`/api/v1/events/${ids.jazzNight}`);
      assert.deepEqual([pub.status, pub.body.title, pub.body.created_by], [200, 'Jazz Night', undefined]);
      const cancelled = await get(`/api/v1/events/${ids.cancelled}`);
      assert.deepEqual([cancelled.status, cancelled.body.status, cancelled.body.cancel_reason], [200, 'cancelled', 'Storm']);
      assertError(await get(`/api/v1/events/${ids.draft}`), 404, 'NOT_FOUND', 'a draft, anonymous');
      assertError(await get(`/api/v1/events/${ids.draft}`, { token: user }), 404, 'NOT_FOUND', 'a draft, a user');
      const asAdmin = await get(`/api/v1/events/${ids.draft}`, { token: admin });
      assert.deepEqual([asAdmin.status, asAdmin.body.status, typeof asAdmin.body.created_by], [200, 'draft', 'string']);
      assertError(await get('/api/v1/events/01a22c1a-f9ea-753f-9a99-24436bf71473'), 404, 'NOT_FOUND', 'unknown');
      assertError(await get('/api/v1/events/42'), 400, 'VALIDATION_FAILED', 'malformed');
      assertError(await get(`/api/v1/events/${ids.jazzNight}`, { token: 'not-a-token' }), 401, 'TOKEN_INVALID', 'a bad token is refused, not ignored');
    });

    it('capacity: seats left and sold out, revalidated on every use', async () => {
      const sold = await get(`/api/v1/events/${ids.soldOut}/capacity`);
      assert.deepEqual(sold.body, { event_id: ids.soldOut, status: 'published', capacity: 10, available: 0, sold_out: true, max_per_booking: 10, max_per_user: 10 });
      assert.equal(sold.headers['cache-control'], 'public, no-cache');
      const open = await get(`/api/v1/events/${ids.opera}/capacity`);
      assert.deepEqual([open.body.available, open.body.sold_out], [100, false]);
      assertError(await get(`/api/v1/events/${ids.draft}/capacity`), 404, 'NOT_FOUND', 'a draft');
    });
  });

  describe('conditional reads', () => {
    it('ETag and Cache-Control on every public read; If-None-Match answers 304 with no body; a change makes a new ETag', async () => {
      for (const url of [`/api/v1/events/${ids.opera}`, '/api/v1/events?category=music', '/api/v1/events/upcoming', `/api/v1/events/${ids.opera}/capacity`]) {
        const first = await get(url);
        const etag = first.headers.etag as string;
        assert.match(etag, /^"[A-Za-z0-9_-]{27}"$/, url);
        assert.match(String(first.headers['cache-control']), /^public, (max-age=5|no-cache)$/, url);
        assert.equal(first.headers.vary, 'Authorization');
        for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
          const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': header } });
          assert.deepEqual([again.statusCode, again.body, again.headers.etag], [304, '', etag], `${url} with ${header}`);
        }
        assert.equal((await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"stale"' } })).statusCode, 200);
      }
      const before = (await get(`/api/v1/events/${ids.opera}`)).headers.etag;
      assert.equal((await call(app, 'PATCH', `${ADMIN_EVENTS}/${ids.opera}`, { token: admin, body: { price: 155 } })).status, 200);
      const changed = await app.inject({ method: 'GET', url: `/api/v1/events/${ids.opera}`, headers: { 'if-none-match': before as string } });
      assert.equal(changed.statusCode, 200, 'the old ETag no longer matches');
      assert.notEqual(changed.headers.etag, before);
      assert.equal(changed.json().price, '155.00');
    });
  });
});
