import pg from 'pg';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import type { Logger } from '../logger.js';
import { PreparingClient } from './prepared.js';
import { createTransact, type Transact } from './transaction.js';

export type Db = Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- modules type their own tables
export type Tx = Transaction<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
/** Repositories take either the pool-backed Db or a transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  pool: pg.Pool;
  /** The transaction helper: timeouts, bounded retries of conflicts, after-commit hooks. */
  transaction: Transact;
  /** SELECT 1 within `timeoutMs`; throws when the database does not answer. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

// bigint counters and sequence numbers stay below 2^53, so a JS number is exact and easier to use;
// numeric is left as a string so money never becomes a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => (v === null ? null : Number(v)));

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  logger: Logger;
  applicationName?: string;
  /** How long a query waits for a free pooled connection (or a new one to open) before failing. */
  acquireTimeoutMs?: number;
  /** Default lock_timeout of every connection; 0 waits forever (migrations). */
  lockTimeoutMs?: number;
  /** Default statement_timeout of every connection; 0 means none (migrations). */
  statementTimeoutMs?: number;
}

export const DATABASE_DEFAULTS = { acquireTimeoutMs: 5_000, lockTimeoutMs: 5_000, statementTimeoutMs: 15_000 } as const;

export function createDatabase(options: DatabaseOptions): Database {
  const o = { ...DATABASE_DEFAULTS, ...options };
  const pool = new pg.Pool({
    connectionString: o.url,
    max: o.poolMax,
    application_name: o.applicationName ?? 'evently',
    connectionTimeoutMillis: o.acquireTimeoutMs,
    idleTimeoutMillis: 30_000,
    // Notice a dead peer on an idle connection, and never let a transaction left open by a stuck
    // caller hold row locks for long (the server ends such a session after a minute).
    keepAlive: true,
    // The lock and statement limits are the connection's defaults, set once when it opens, so no
    // transaction pays a round trip for them: a lock wait or a query past its limit fails (55P03,
    // 57014) and the request answers 503 instead of queueing until every connection is stuck.
    options: `-c idle_in_transaction_session_timeout=60000 -c lock_timeout=${o.lockTimeoutMs} -c statement_timeout=${o.statementTimeoutMs}`,
    // Runs the queries declared with `prepared` as named prepared statements.
    Client: PreparingClient,
  });
  // Without this listener an idle connection killed by a PostgreSQL restart crashes the process;
  // the pool drops the client and opens a new one on the next query.
  // A connection that dies emits 'error' on its client; pg-pool listens only while the client is
  // idle (and then re-emits on the pool), so one that dies while checked out (e.g. inside a
  // transaction waiting on Redis) would crash the process unheard. Every client gets a listener;
  // the query in flight still fails and is handled by its caller; the pool opens a new connection.
  pool.on('error', () => undefined); // already logged by the client's own listener below
  pool.on('connect', (client) => {
    client.on('error', (err) => o.logger.warn({ err: err.message }, 'database connection lost'));
  });
  const db: Db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    db,
    pool,
    transaction: createTransact(db, o.logger),
    async ping(timeoutMs) {
      // query_timeout gives the connection back when the server hangs, so repeated probes
      // against a stuck database cannot drain the pool.
      await withTimeout(pool.query({ text: 'select 1', query_timeout: timeoutMs } as pg.QueryConfig), timeoutMs + 100, 'database did not answer');
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Fails with a message a newcomer can act on when the server cannot be reached: which setting,
 * which address, what to do (the driver alone says "connect ECONNREFUSED" from deep in a migration).
 */
export async function assertDatabaseReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    let where = '(invalid URL)';
    try {
      const u = new URL(url);
      where = `${u.hostname}:${u.port || 5432}${u.pathname}`;
    } catch {
      // keep the placeholder: never echo a URL that may hold a password
    }
    throw new Error(
      `cannot reach PostgreSQL at ${where} (DATABASE_URL): ${e.code ?? e.message}. Start PostgreSQL, fix DATABASE_URL, or unset it to use the embedded PostgreSQL`,
      { cause: err },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates a database if missing (used by tests and by the embedded start). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
}
