import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createDatabase } from './db/database.js';
import { createLogger } from './logger.js';
import { periodicMetrics, startPeriodic, type Periodic } from './periodic.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const waitUntil = async (cond: () => boolean, what: string) => {
  for (const end = Date.now() + 10_000; !cond(); await sleep(5)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
};

describe('periodic tasks', () => {
  let tdb: TestDatabase;
  const running: Periodic[] = [];
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(async () => {
    await Promise.all(running.map((p) => p.stop()));
    await tdb?.drop();
  });
  const start = (...args: Parameters<typeof startPeriodic>) => {
    const p = startPeriodic(...args);
    running.push(p);
    return p;
  };

  it('runs a task again and again, never two runs of it at once, and reports runs, failures and duration', async () => {
    const registry = new Registry();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const p = start([{
      name: 'slow-and-flaky',
      everyMs: 5,
      runAtStart: true,
      async run() {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(20); // four times its interval: a timer-driven loop would overlap
        active--;
        if (++runs % 2 === 0) throw new Error('every other run fails');
      },
    }], { databaseUrl: tdb.url, logger, metrics: periodicMetrics(registry) });
    await waitUntil(() => runs >= 6, 'six runs');
    await p.stop();
    assert.equal(maxActive, 1);
    const metrics = await registry.getMetricsAsJSON();
    const value = (name: string, labels: Record<string, string>) =>
      metrics.find((m) => m.name === name)?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
    assert.ok(Number(value('evently_task_runs_total', { task: 'slow-and-flaky', outcome: 'ok' })) >= 3);
    assert.ok(Number(value('evently_task_runs_total', { task: 'slow-and-flaky', outcome: 'failed' })) >= 3);
    assert.ok(Number(value('evently_task_last_duration_seconds', { task: 'slow-and-flaky' })) >= 0.015);
    assert.ok(Math.abs(Number(value('evently_task_last_run_timestamp_seconds', { task: 'slow-and-flaky' })) - Date.now() / 1000) < 60);
  });

  it('a singleton task runs in one replica at a time (advisory lock); the other skips its turn', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const task = {
      name: 'cleanup-once',
      everyMs: 5,
      singleton: true,
      runAtStart: true,
      async run() {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(30);
        active--;
        runs++;
      },
    };
    const registry = new Registry();
    const metrics = periodicMetrics(registry);
    // Two replicas, as two processes would run them.
    const a = start([task], { databaseUrl: tdb.url, logger, metrics });
    const b = start([task], { databaseUrl: tdb.url, logger, metrics });
    await waitUntil(() => runs >= 5, 'five runs');
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(maxActive, 1, 'never both replicas at once');
    const skipped = (await registry.getMetricsAsJSON()).find((m) => m.name === 'evently_task_runs_total')?.values.find((v) => v.labels.outcome === 'skipped');
    assert.ok(Number(skipped?.value) > 0, 'the replica without the lock skipped turns');
  });

  it('a singleton task takes no pooled connection for its lock: with a pool of one, its own queries still run', async () => {
    const tiny = createDatabase({ url: tdb.url, poolMax: 1, logger, acquireTimeoutMs: 1_000 });
    let queried = 0;
    try {
      const p = start([{ name: 'uses-the-pool', everyMs: 60_000, singleton: true, run: async () => {
        await sql`select 1`.execute(tiny.db);
        queried++;
      } }], { databaseUrl: tdb.url, logger });
      await p.runNow('uses-the-pool');
      assert.equal(queried, 1);
    } finally {
      await tiny.close();
    }
  });

  it('stop waits for the run in flight and no run starts after it', async () => {
    let finished = false;
    let starts = 0;
    const p = start([{ name: 'long', everyMs: 5, runAtStart: true, async run() {
      starts++;
      await sleep(50);
      finished = true;
    } }], { databaseUrl: tdb.url, logger });
    await waitUntil(() => starts === 1, 'the first run');
    await p.stop();
    assert.equal(finished, true, 'stop waited for the run');
    await sleep(30);
    assert.equal(starts, 1, 'nothing ran after stop');
  });

  it('refuses two tasks with one name; runNow runs one at once', async () => {
    const noop = { everyMs: 60_000, run: async () => undefined };
    assert.throws(() => startPeriodic([{ name: 'x', ...noop }, { name: 'x', ...noop }], { databaseUrl: tdb.url, logger }), /declared twice/);
    let ran = 0;
    const p = start([{ name: 'on-demand', everyMs: 3_600_000, run: async () => void ran++ }], { databaseUrl: tdb.url, logger });
    await p.runNow('on-demand');
    assert.equal(ran, 1);
  });
});
