/**
 * The cost of the outbox on the write path (PERFORMANCE.md, "pg_notify in a writing transaction"),
 * measured with pgbench against baselines of the same run:
 *  - B4: the hot-row conditional decrement (`UPDATE inv SET remaining = remaining - 1 WHERE id = 1
 *    AND remaining >= 1`), prepared, 64 clients: the single-row cap.
 *  - outbox write: a conditional decrement over 16 rows plus the project's own outbox insert (the
 *    statement `outbox.add` runs, compiled from kernel code), one transaction each.
 *  - the same with the NOTIFY trigger that earlier versions had on the outbox, for reference only.
 * Uses DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) for a scratch database,
 * dropped at the end. BENCH_DURATION_S (default 10) and BENCH_CLIENTS (default 64) per run. Needs
 * `pgbench` (Debian: postgresql-client). Writes bench/results/outbox.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { createDatabase, createLogger, migrateSchema, newId, outboxInsert } from '../src/kernel/index.js';
import { report } from './lib.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const clients = Number(process.env.BENCH_CLIENTS ?? 64);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `evently_bench_outbox_${process.pid}`;
const url = new URL(adminUrl);
url.pathname = `/${name}`;
const logger = createLogger({ level: 'warn', service: 'bench' });

async function adminSql(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

/** The project's insert of one event, as pgbench SQL: a fresh id per transaction. */
async function outboxStatement(db: Parameters<typeof migrateSchema>[0]['db']): Promise<string> {
  const event = { id: newId(), type: 'bench.seat.held', version: 1, occurredAt: new Date().toISOString(), correlationId: null, payload: { event_id: 'e', quantity: 1 } };
  const compiled = outboxInsert('bench', [event]).compile(db);
  const literal = (v: unknown) => (v === null ? 'null' : `'${String(v).replace(/'/g, "''")}'`);
  return compiled.sql.replace(/\$(\d+)/g, (_, n: string) => (n === '1' ? 'gen_random_uuid()' : literal(compiled.parameters[Number(n) - 1])));
}

function pgbench(script: string, label: string): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'evently-pgbench-'));
  try {
    const file = path.join(dir, 'script.sql');
    writeFileSync(file, script);
    const out = execFileSync('pgbench', ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(durationS), '-f', file, url.toString()], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const tps = /tps = ([\d.]+)/.exec(out);
    if (!tps) throw new Error(`${label}: no tps in pgbench output:\n${out}`);
    return Math.round(Number(tps[1]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await adminSql(`create database ${name}`);
const database = createDatabase({ url: url.toString(), poolMax: 2, logger });
try {
  await migrateSchema({ db: database.db, schema: 'bench', dir: null, logger });
  await sql`create table bench.inv (id int primary key, remaining bigint not null)`.execute(database.db);
  await sql`insert into bench.inv select g, 1000000000 from generate_series(1, 16) g`.execute(database.db);
  const insert = await outboxStatement(database.db);
  const b4 = pgbench('UPDATE bench.inv SET remaining = remaining - 1 WHERE id = 1 AND remaining >= 1;\n', 'B4');
  const write = ['\\set id random(1, 16)', 'BEGIN;', 'UPDATE bench.inv SET remaining = remaining - 1 WHERE id = :id AND remaining >= 1;', `${insert};`, 'COMMIT;', ''].join('\n');
  const outbox = pgbench(write, 'outbox write');
  // The trigger of earlier versions (platform migration 000), back for one comparison run.
  await sql.raw(`create function bench.outbox_notify() returns trigger language plpgsql as $$
    begin perform pg_notify('evently_outbox', 'bench'); return null; end $$;
    create trigger outbox_notify after insert on bench.outbox for each statement execute function bench.outbox_notify();`).execute(database.db);
  const notifying = pgbench(write, 'outbox write with NOTIFY');
  const ratio = (x: number) => Math.round((x / b4) * 100) / 100;
  report('outbox', [
    { workload: 'B4 hot row, conditional decrement', tps: b4, ratio: 1 },
    { workload: 'decrement over 16 rows + outbox insert (Evently now)', tps: outbox, ratio: ratio(outbox) },
    { workload: 'the same with the old NOTIFY trigger (reference)', tps: notifying, ratio: ratio(notifying) },
  ], { clients, duration_s: durationS });
} finally {
  await database.close();
  await adminSql(`drop database if exists ${name} with (force)`);
}
