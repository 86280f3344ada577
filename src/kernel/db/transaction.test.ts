import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { captureLogger } from '../messaging/bus.testkit.js';
import { createDatabase, type Database } from './database.js';
import { afterCommit } from './transaction.js';

const codeOf = (err: unknown) => (err as { code?: string }).code;

describe('transaction helper', () => {
  let tdb: TestDatabase;
  let database: Database;
  const { logger, lines } = captureLogger();

  before(async () => {
    tdb = await createTestDatabase();
    database = createDatabase({ url: tdb.url, poolMax: 6, logger, lockTimeoutMs: 2_000, statementTimeoutMs: 5_000 });
    await sql`create table t (id int primary key, n int not null)`.execute(database.db);
    await sql`insert into t values (1, 0), (2, 0)`.execute(database.db);
  });
  after(async () => {
    await database?.close();
    await tdb?.drop();
  });

  const read = async (id: number) => (await sql<{ n: number }>`select n from t where id = ${id}`.execute(database.db)).rows[0]!.n;

  it('retries a deadlock victim, so both of two crossing transactions commit', async () => {
    let runs = 0;
    const both = await Promise.allSettled(
      [[1, 2], [2, 1]].map(([first, second]) =>
        database.transaction(async (trx) => {
          runs++;
          await sql`update t set n = n + 1 where id = ${first}`.execute(trx);
          await sleep(100); // both hold their first row before either asks for its second
          await sql`update t set n = n + 1 where id = ${second}`.execute(trx);
        }),
      ),
    );
    assert.deepEqual(both.map((r) => r.status), ['fulfilled', 'fulfilled']);
    assert.equal(runs, 3, 'the deadlock victim ran once more');
    assert.deepEqual([await read(1), await read(2)], [2, 2]);
  });

  it('retries serialization failures under serializable isolation', async () => {
    let runs = 0;
    const increment = () =>
      database.transaction(async (trx) => {
        runs++;
        const { rows } = await sql<{ n: number }>`select n from t where id = 1`.execute(trx);
        await sleep(50);
        await sql`update t set n = ${rows[0]!.n + 1} where id = 1`.execute(trx);
      }, { isolation: 'serializable' });
    const before = await read(1);
    await Promise.all([increment(), increment(), increment()]);
    assert.equal(await read(1), before + 3, 'no lost update');
    assert.ok(runs > 3, `conflicts were retried (${runs} runs)`);
  });

  it('gives up after maxAttempts and throws the conflict', async () => {
    const attempt = () =>
      database.transaction(async (trx) => {
        const { rows } = await sql<{ n: number }>`select n from t where id = 2`.execute(trx);
        await sleep(50);
        await sql`update t set n = ${rows[0]!.n + 1} where id = 2`.execute(trx);
      }, { isolation: 'serializable', maxAttempts: 1 });
    const results = await Promise.allSettled([attempt(), attempt()]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(failed.length, 1);
    assert.equal(codeOf(failed[0]!.reason), '40001');
  });

  it('bounds lock waits (55P03) and statements (57014), by default and per transaction', async () => {
    const holder = await database.pool.connect();
    try {
      await holder.query('begin');
      await holder.query('update t set n = n where id = 1');
      await assert.rejects(
        database.transaction((trx) => sql`update t set n = n + 1 where id = 1`.execute(trx), { lockTimeoutMs: 100 }),
        (err) => codeOf(err) === '55P03',
      );
      // The connection default (2 s here) applies when the transaction gives none.
      await assert.rejects(database.transaction((trx) => sql`update t set n = n + 1 where id = 1`.execute(trx)), (err) => codeOf(err) === '55P03');
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    await assert.rejects(database.transaction((trx) => sql`select pg_sleep(2)`.execute(trx), { statementTimeoutMs: 100 }), (err) => codeOf(err) === '57014');
    // The override was local to that transaction: the next one on any connection has the default.
    const { rows } = await database.transaction((trx) => sql<{ s: string }>`select current_setting('statement_timeout') as s`.execute(trx));
    assert.equal(rows[0]!.s, '5s');
  });

  it('runs after-commit hooks once, after the commit, and never for a rollback or a retried run', async () => {
    const calls: string[] = [];
    let seenByHook: number | undefined;
    let runs = 0;
    const result = await database.transaction(async (trx) => {
      runs++;
      await sql`update t set n = 100 where id = 1`.execute(trx);
      afterCommit(trx, async () => {
        calls.push(`hook of run ${runs}`);
        seenByHook = await read(1); // another connection sees the committed row
      });
      if (runs === 1) throw Object.assign(new Error('simulated deadlock'), { code: '40P01' });
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(calls, ['hook of run 2']);
    assert.equal(seenByHook, 100);

    await assert.rejects(
      database.transaction(async (trx) => {
        afterCommit(trx, () => calls.push('rolled back'));
        throw new Error('business rule');
      }),
      /business rule/,
    );
    assert.deepEqual(calls, ['hook of run 2']);
  });

  it('a failing hook is logged and does not undo or fail the committed transaction', async () => {
    const value = await database.transaction(async (trx) => {
      await sql`update t set n = 7 where id = 2`.execute(trx);
      afterCommit(trx, () => {
        throw new Error('cache unreachable');
      });
      return 42;
    });
    assert.equal(value, 42);
    assert.equal(await read(2), 7);
    assert.ok(lines.some((l) => l.level === 50 && /after-commit hook failed/.test(String(l.msg))));
  });

  it('refuses hooks on a transaction it did not start', async () => {
    await assert.rejects(
      database.db.transaction().execute(async (trx) => afterCommit(trx, () => undefined)),
      /transaction helper/,
    );
  });
});
