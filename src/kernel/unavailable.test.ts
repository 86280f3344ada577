import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { createDatabase } from './db/database.js';
import { createLogger } from './logger.js';
import { unavailability, unavailableError } from './unavailable.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const caught = async (p: Promise<unknown>): Promise<unknown> => p.then(() => assert.fail('expected a failure'), (e: unknown) => e);

/** Each failure is produced for real (a real server refusing, a real timeout), then classified. */
describe('what counts as "not now" (503) rather than broken (500)', () => {
  let tdb: TestDatabase;
  const role = `evently_t_limited_${process.pid}`;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(async () => {
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`drop role if exists ${role}`).finally(() => admin.end());
    await tdb?.drop();
  });

  it('a statement past its limit and a lock wait past its limit: OVERLOADED', async () => {
    const d = createDatabase({ url: tdb.url, poolMax: 3, logger, statementTimeoutMs: 50, lockTimeoutMs: 50 });
    try {
      const slow = await caught(sql`select pg_sleep(1)`.execute(d.db));
      assert.deepEqual([unavailability(slow)?.code, unavailability(slow)?.dependency], ['OVERLOADED', 'database']);
      await sql`create table t (id int primary key)`.execute(d.db);
      await sql`insert into t values (1)`.execute(d.db);
      const holder = await d.pool.connect();
      await holder.query('begin; select * from t for update');
      const locked = await caught(d.transaction((trx) => sql`update t set id = 1`.execute(trx)));
      await holder.query('rollback');
      holder.release();
      assert.equal(unavailability(locked)?.code, 'OVERLOADED');
      const e = unavailableError(unavailability(locked)!, locked);
      assert.deepEqual([e.status, e.code, e.headers?.['retry-after']], [503, 'OVERLOADED', '1']);
    } finally {
      await d.close();
    }
  });

  it('conflicts that outlast the transaction helper\'s retries (40001, 40P01): OVERLOADED', async () => {
    const d = createDatabase({ url: tdb.url, poolMax: 3, logger });
    try {
      await sql`create table c (id int primary key, n int)`.execute(d.db);
      await sql`insert into c values (1, 0)`.execute(d.db);
      const bump = () => d.transaction(async (trx) => {
        const { rows } = await sql<{ n: number }>`select n from c where id = 1`.execute(trx);
        await new Promise((r) => setTimeout(r, 50));
        await sql`update c set n = ${rows[0]!.n + 1} where id = 1`.execute(trx);
      }, { isolation: 'serializable', maxAttempts: 1 });
      const loser = (await Promise.allSettled([bump(), bump()])).find((r) => r.status === 'rejected') as PromiseRejectedResult;
      assert.equal(unavailability(loser.reason)?.code, 'OVERLOADED');
    } finally {
      await d.close();
    }
  });

  it('a server with no connection left (53300): OVERLOADED', async () => {
    const admin = new pg.Client({ connectionString: tdb.url });
    await admin.connect();
    await admin.query(`create role ${role} login connection limit 0`).finally(() => admin.end());
    const url = new URL(tdb.url);
    url.username = role;
    const refused = await caught(new pg.Client({ connectionString: url.toString() }).connect());
    assert.equal((refused as { code: string }).code, '53300');
    assert.equal(unavailability(refused)?.code, 'OVERLOADED');
  });

  it('a database or a Redis that cannot be reached: SERVICE_UNAVAILABLE, also when wrapped', async () => {
    const d = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/none', poolMax: 1, logger, acquireTimeoutMs: 1_000 });
    const down = await caught(sql`select 1`.execute(d.db));
    await d.close();
    assert.deepEqual([unavailability(down)?.code, unavailability(down)?.dependency], ['SERVICE_UNAVAILABLE', 'network']);
    assert.equal(unavailability(new Error('saving failed', { cause: down }))?.code, 'SERVICE_UNAVAILABLE');

    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    await redis.connect().catch(() => undefined);
    const noRedis = await caught(redis.get('k'));
    redis.disconnect();
    assert.deepEqual([unavailability(noRedis)?.code, unavailability(noRedis)?.dependency], ['SERVICE_UNAVAILABLE', 'redis']);
  });

  it('anything else is not "unavailable": a bug stays a 500', () => {
    assert.equal(unavailability(new TypeError('x is undefined')), undefined);
    assert.equal(unavailability(Object.assign(new Error('duplicate key'), { code: '23505' })), undefined);
  });
});
