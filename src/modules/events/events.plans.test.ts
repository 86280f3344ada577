/**
 * Every filter and sort of the public list is served by an index: the plans PostgreSQL chooses for
 * the very queries the repository builds, over a catalogue of 3,000 events (vacuumed and analysed as
 * autovacuum would leave it), never scan the whole events table.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { sqlRows } from '../../../test/support/auth.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { listQuery, type EventFilter } from './event-list.repository.js';

const PUBLIC: EventFilter = { statuses: ['published'], sort: 'starts_at', page: 1, size: 20 };

const CASES: [string, Partial<EventFilter>, string][] = [
  ['the default page', {}, 'events_published_starts'],
  ['a later page', { page: 5 }, 'events_published_starts'],
  ['a category', { category: 'cat7' }, 'events_published_category'],
  ['part of a venue', { venue: 'c4ca4238a0b9' }, 'events_published_venue'],
  ['a search, by relevance', { q: 'tok1234', sort: 'relevance' }, 'events_published_search'],
  ['a search, by start', { q: 'tok1234' }, 'events_published_search'],
  ['a date range', { from: new Date(Date.now() + 3_600_000), to: new Date(Date.now() + 86_400_000) }, 'events_published_starts'],
  ['a price range, by price', { priceMin: '10.00', priceMax: '12.00', sort: 'price' }, 'events_published_price'],
  ['upcoming', { upcoming: true }, 'events_published_starts'],
  ['seats left', { hasSeats: true }, 'events_published_starts'],
  ['by price, descending', { sort: '-price' }, 'events_published_price'],
  ['by creation', { sort: 'created_at' }, 'events_published_created'],
  // Admins' lists of one status (all of them at once read the whole table anyway, rightly).
  ['the drafts (admins)', { statuses: ['draft'] }, 'events_status_starts'],
];

describe('events list query plans', () => {
  let t: TestEvently;
  let client: pg.Client;

  before(async () => {
    t = await startTestEvently({ env: { EVENTS_CACHE: 'false' } });
    await sqlRows(t.database.url, `
      insert into events.events (id, title, description, venue, category, starts_at, capacity, price, status, created_by, published_at)
      select gen_random_uuid(), 'Show tok' || i, 'An evening, number ' || i, 'Hall ' || md5(i::text), 'cat' || (i % 40),
             now() + make_interval(hours => i - 100), 100, (i % 500)::numeric, case when i % 10 = 0 then 'draft' else 'published' end,
             gen_random_uuid(), now()
      from generate_series(1, 3000) i`);
    await sqlRows(t.database.url, 'vacuum analyze events.events');
    client = new pg.Client({ connectionString: t.database.url });
    await client.connect();
  }, { timeout: 60_000 });
  after(async () => {
    await client?.end();
    await t?.close();
  }, { timeout: 60_000 });

  for (const [what, filter, index] of CASES) {
    it(`${what}: ${index}`, async () => {
      const compiled = listQuery(t.evently.database.db as never, { ...PUBLIC, ...filter }).page.compile();
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain ${compiled.sql}`, compiled.parameters as unknown[]);
      const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.doesNotMatch(plan, /Seq Scan on events e\b/, plan);
      assert.match(plan, new RegExp(`\\b${index}\\b`), plan);
    });
  }
});
