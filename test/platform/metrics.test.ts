import assert from 'node:assert/strict';
import { after, before, describe, it } from '../support/suite.js';
import { NO_AUTH_LIMITS, eventually, signUp, sqlRows } from '../support/auth.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { skipWithoutRedis } from '../support/redis.js';

/** The operational metrics at /metrics, read at scrape time from the real sources. */
function metricsSuite(redis: boolean): void {
  describe(`operational metrics (${redis ? 'Redis' : 'in-process'} adapters)`, { skip: redis ? skipWithoutRedis() : false }, () => {
    let t: TestEvently;
    before(async () => {
      t = await startTestEvently({ redis, env: NO_AUTH_LIMITS });
    });
    after(() => t?.close());

    const scrape = async () => {
      const r = await t.evently.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(r.statusCode, 200);
      return r.body;
    };
    /** The value of one sample, found by its metric name and labels. */
    const sample = (text: string, name: string, labels: Record<string, string>): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };

    it('reports the pool, each outbox, each consumer group, the dead letters, the jobs and the periodic tasks', async () => {
      await signUp(t.evently.app, `metrics-${Date.now()}@example.org`); // events through the outbox, mail jobs
      await sqlRows(t.database.url, `insert into platform.failed_events (group_name, event_key, event_type, status, attempts, last_error)
        values ('notifications', 'metrics-test', 'auth.user.registered', 'dead', 10, 'test')`);
      const text = await eventually(async () => {
        const body = await scrape();
        const ran = ['auth', 'notifications'].every((m) => sample(body, 'evently_task_runs_total', { task: `${m}.outbox-retention`, outcome: 'ok' }));
        return ran ? body : undefined;
      }, 'the retention tasks have run once');

      assert.ok(sample(text, 'evently_db_pool_connections', { state: 'total' })! >= 1);
      assert.equal(sample(text, 'evently_db_pool_connections', { state: 'waiting' }), 0);
      for (const module of ['auth', 'events', 'bookings', 'analytics', 'notifications']) {
        assert.notEqual(sample(text, 'evently_outbox_backlog', { module }), undefined, `backlog of ${module}`);
        assert.notEqual(sample(text, 'evently_outbox_oldest_unpublished_age_seconds', { module }), undefined, `age of ${module}`);
      }
      assert.notEqual(sample(text, 'evently_bus_pending', { group: 'notifications' }), undefined);
      assert.equal(sample(text, 'evently_bus_failed_events', { group: 'notifications', status: 'dead' }), 1);
      assert.notEqual(sample(text, 'evently_jobs', { job: 'notifications.send-email', state: 'waiting' }), undefined);
      assert.notEqual(sample(text, 'evently_task_last_run_timestamp_seconds', { task: 'notifications.outbox-retention' }), undefined);
    });

    it('an unpublished event shows in its module\'s backlog and age', async () => {
      // Written past the relay (straight into the table, claimed for a minute): it stays unpublished.
      await sqlRows(t.database.url, `insert into events.outbox (id, type, version, payload, occurred_at, claimed_until)
        values (gen_random_uuid(), 'events.event.created', 1, '{}', now() - interval '5 minutes', now() + interval '1 minute')`);
      const text = await scrape();
      assert.equal(sample(text, 'evently_outbox_backlog', { module: 'events' }), 1);
      assert.ok(sample(text, 'evently_outbox_oldest_unpublished_age_seconds', { module: 'events' })! >= 300);
      await sqlRows(t.database.url, 'delete from events.outbox');
    });
  });
}

metricsSuite(false);
metricsSuite(true);
