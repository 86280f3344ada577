/**
 * The reports stay fast with 10,000 events: each top-events order reads the head of its own index
 * (checked in the plan, not by timing), and every report answers over that many events.
 */
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, call, login, sqlRows } from '../../../test/support/auth.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { eventStatsQuery, TOP_SORTS, type TopSort } from './stats.repository.js';

describe('analytics with 10,000 events', () => {
  let t: TestEvently;
  let admin: string;

  before(async () => {
    t = await startTestEvently({ env: ADMIN_ENV });
    admin = (await login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    // The read models as 10,000 events' messages would leave them (seeded directly: what is measured is the reads).
    await sqlRows(t.database.url, `insert into analytics.events (event_id, title, category, status, capacity, price, currency, version, starts_at)
      select ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'Event ' || i, 'music', 'published', 100 + i % 900, 10, 'EUR', 1, now() + i * interval '1 hour'
      from generate_series(1, 10000) i`);
    await sqlRows(t.database.url, `insert into analytics.event_stats (event_id, capacity, currency, holds, confirmed, tickets_sold, gross_minor, refunds_minor)
      select event_id, capacity, 'EUR', (hashtext(event_id::text) & 1023), (hashtext(event_id::text) & 511), (hashtext(event_id::text) & 511) % capacity,
        (hashtext(event_id::text) & 65535) * 100, 0 from analytics.events`);
    await sqlRows(t.database.url, 'analyze analytics.event_stats; analyze analytics.events');
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('each top-events order is an index scan of event_stats, not a sort of every row', async () => {
    for (const sort of Object.keys(TOP_SORTS) as TopSort[]) {
      const plan = await sql<{ 'QUERY PLAN': string }>`explain ${eventStatsQuery({ sort, limit: 10, offset: 0 })}`.execute(t.evently.database.db);
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(text, new RegExp(`Index Scan using event_stats_by_\\w+ on event_stats`), `${sort}:\n${text}`);
      assert.doesNotMatch(text, /Seq Scan on event_stats|Sort\b/, `${sort}:\n${text}`);
    }
  });

  it('every report answers over 10,000 events', async () => {
    for (const path of ['overview', 'dashboard', 'top-events?sort_by=utilization&limit=100', 'events?page=500&size=20', 'capacity-utilization?size=100', 'daily?days=366', 'revenue?days=366', 'booking-trends?days=366']) {
      const r = await call(t.evently.app, 'GET', `/api/v1/analytics/${path}`, { token: admin });
      assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    const top = (await call(t.evently.app, 'GET', '/api/v1/analytics/top-events?sort_by=revenue&limit=3', { token: admin })).body.items;
    const [best] = await sqlRows<{ event_id: string }>(t.database.url, 'select event_id from analytics.event_stats order by gross_minor desc, event_id limit 1');
    assert.equal(top[0].event_id, best!.event_id);
    const csv = await t.evently.app.inject({ method: 'GET', url: '/api/v1/analytics/export/events', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(csv.body.trim().split('\r\n').length, 10_001, 'a header and 10,000 rows');
  });
});
