import { describe, it, before, after } from '../support/suite.js';
import assert from 'node:assert/strict';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { redisUrl, skipWithoutRedis } from '../support/redis.js';
import { hostPort, startFaultProxy, viaProxy, type FaultProxy } from '../support/proxy.js';
import { waitFor } from '../support/outbox-probe.js';

/** SPEC §1 / issue: /health/ready turns 503 within 5 s of a dependency going away, 200 when it is back. */
describe('readiness follows its dependencies without a restart', { skip: skipWithoutRedis() }, () => {
  let tdb: TestDatabase;
  let pgProxy: FaultProxy;
  let redisProxy: FaultProxy;
  let t: TestEvently;

  before(async () => {
    tdb = await createTestDatabase();
    pgProxy = await startFaultProxy(hostPort(tdb.url, 5432));
    redisProxy = await startFaultProxy(hostPort(redisUrl()!, 6379));
    const database = { ...tdb, url: viaProxy(tdb.url, pgProxy) };
    t = await startTestEvently({
      database,
      redis: true,
      env: { REDIS_URL: viaProxy(redisUrl()!, redisProxy), READINESS_TIMEOUT_MS: '1000' },
    });
  }, { timeout: 60_000 });
  after(async () => {
    await pgProxy?.restore().catch(() => undefined);
    await redisProxy?.restore().catch(() => undefined);
    await t?.close();
    await pgProxy?.close();
    await redisProxy?.close();
    await tdb?.drop();
  }, { timeout: 60_000 });

  const ready = async () => {
    const res = await t.evently.app.inject({ method: 'GET', url: '/health/ready' });
    return { status: res.statusCode, body: res.json() as { down?: string[]; checks: Record<string, { status: string }> } };
  };

  it('is ready with both up', async () => {
    const r = await ready();
    assert.equal(r.status, 200);
    assert.deepEqual(Object.keys(r.body.checks).sort(), ['database', 'redis']);
  });

  it('reports the database down, then up again', async () => {
    await pgProxy.cut();
    await waitFor(async () => (await ready()).status === 503, 5_000, '503 after PostgreSQL went away');
    assert.deepEqual((await ready()).body.down, ['database']);
    await pgProxy.restore();
    await waitFor(async () => (await ready()).status === 200, 15_000, '200 after PostgreSQL came back');
  });

  it('reports Redis down, then up again; /metrics keeps answering meanwhile', async () => {
    await redisProxy.cut();
    await waitFor(async () => (await ready()).status === 503, 5_000, '503 after Redis went away');
    assert.deepEqual((await ready()).body.down, ['redis']);
    // The job counts come through Redis and would wait for it forever: the scrape leaves them out.
    for (let i = 0; i < 2; i++) {
      const metrics = await t.evently.app.inject({ method: 'GET', url: '/metrics' });
      assert.equal(metrics.statusCode, 200);
      assert.match(metrics.body, /evently_db_pool_connections/);
    }
    await redisProxy.restore();
    await waitFor(async () => (await ready()).status === 200, 15_000, '200 after Redis came back');
  });
});
