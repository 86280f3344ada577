import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createDatabase, createLogger, migrateSchema, type Database } from '../../src/kernel/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', service: 'test' });

describe('per-module SQL migrations', () => {
  let tdb: TestDatabase;
  let dir: string;
  const pools: Database[] = [];
  const pool = () => {
    const d = createDatabase({ url: tdb.url, poolMax: 2, logger });
    pools.push(d);
    return d;
  };

  before(async () => {
    tdb = await createTestDatabase();
    dir = mkdtempSync(path.join(tmpdir(), 'evently-mig-'));
    writeFileSync(path.join(dir, '001_widgets.sql'), 'create table shop.widgets (id int primary key);\ninsert into shop.widgets values (1);\n');
    writeFileSync(path.join(dir, '002_more.sql'), 'alter table shop.widgets add column name text;\n');
  });
  after(async () => {
    for (const p of pools) await p.close();
    rmSync(dir, { recursive: true, force: true });
    await tdb?.drop();
  });

  it('replicas migrating at the same moment apply each migration once', async () => {
    const results = await Promise.all([1, 2, 3].map(() => migrateSchema({ db: pool().db, schema: 'shop', dir, logger })));
    assert.deepEqual(results.flat().sort(), ['000_platform_outbox_inbox', '000_platform_v2_no_notify', '001_widgets', '002_more']);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from shop.widgets`.execute(pool().db);
    assert.equal(rows[0]!.n, 1);
    const tables = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = 'shop' order by 1`.execute(pool().db);
    assert.deepEqual(tables.rows.map((r) => r.t), ['inbox', 'migrations', 'migrations_lock', 'outbox', 'widgets']);
  });

  it('running again applies nothing', async () => {
    assert.deepEqual(await migrateSchema({ db: pool().db, schema: 'shop', dir, logger }), []);
  });

  it('nothing on the outbox write path notifies, and a database migrated before that is fixed', async () => {
    const notifying = () =>
      sql<{ n: number }>`select (select count(*) from pg_trigger t join pg_class c on c.oid = t.tgrelid
          join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'shop' and not t.tgisinternal)
        + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname = 'shop' and p.prosrc ilike '%pg_notify%') as n`.execute(pool().db).then((r) => Number(r.rows[0]!.n));
    assert.equal(await notifying(), 0);
    // A database migrated by an earlier version: the NOTIFY trigger is there and the platform step
    // that drops it is missing, while the module's own migrations (001, 002) were applied after.
    await sql.raw(`create function shop.outbox_notify() returns trigger language plpgsql as $$
      begin perform pg_notify('evently_outbox', 'shop'); return null; end $$;
      create trigger outbox_notify after insert on shop.outbox for each statement execute function shop.outbox_notify();
      delete from shop.migrations where name = '000_platform_v2_no_notify';`).execute(pool().db);
    assert.equal(await notifying(), 2);
    assert.deepEqual(await migrateSchema({ db: pool().db, schema: 'shop', dir, logger }), ['000_platform_v2_no_notify']);
    assert.equal(await notifying(), 0);
  });

  it('a failing migration names itself and leaves nothing half-applied', async () => {
    writeFileSync(path.join(dir, '003_broken.sql'), 'alter table shop.widgets add column price int;\nselect * from shop.nope;\n');
    await assert.rejects(migrateSchema({ db: pool().db, schema: 'shop', dir, logger }), /migration 003_broken of schema shop failed: relation "shop.nope" does not exist/);
    const cols = await sql<{ c: string }>`select column_name as c from information_schema.columns where table_schema = 'shop' and table_name = 'widgets'`.execute(pool().db);
    assert.ok(!cols.rows.some((r) => r.c === 'price'));
  });
});
