import pg from 'pg';
import { sql } from 'kysely';
import type { Logger } from '../logger.js';
import type { Db } from '../db/database.js';
import { quoteIdent } from '../db/platform.sql.js';
import type { DomainEvent, EventBus } from './types.js';

export interface RelayOptions {
  db: Db;
  /** Connection URL for the LISTEN connection (a pool connection cannot hold a LISTEN). */
  databaseUrl: string;
  schemas: readonly string[];
  bus: EventBus;
  logger: Logger;
  pollMs: number;
  batchSize?: number;
  /** Published rows older than this are deleted (default 7 days). */
  retentionMs?: number;
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** Publishes everything pending now (tests and shutdown use it). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Moves committed outbox rows to the bus. Rows are locked with SKIP LOCKED so relays in several
 * replicas share the work, and marked published only after the bus accepted them: a crash between
 * the two publishes them again (at-least-once; consumers deduplicate on the event id).
 */
export function createOutboxRelay(o: RelayOptions): OutboxRelay {
  const log = o.logger.child({ component: 'outbox-relay' });
  const batchSize = o.batchSize ?? 200;
  const retentionMs = o.retentionMs ?? 7 * 24 * 3600_000;
  const dirty = new Set<string>(o.schemas);
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let stopped = true;
  let lastCleanup = 0;
  let failures = 0;

  async function drainSchema(schema: string): Promise<void> {
    const table = sql.raw(`${quoteIdent(schema)}.outbox`);
    for (;;) {
      const sent = await o.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ seq: number; id: string; type: string; version: number; payload: unknown; correlation_id: string | null; occurred_at: Date }>`
          select seq, id, type, version, payload, correlation_id, occurred_at from ${table}
          where published_at is null order by seq limit ${batchSize} for update skip locked`.execute(trx);
        if (!rows.length) return 0;
        const events: DomainEvent[] = rows.map((r) => ({
          id: r.id,
          type: r.type,
          version: r.version,
          occurredAt: new Date(r.occurred_at).toISOString(),
          correlationId: r.correlation_id,
          payload: r.payload,
        }));
        await o.bus.publish(events);
        await sql`update ${table} set published_at = now() where seq = any(${rows.map((r) => r.seq)}::bigint[])`.execute(trx);
        return rows.length;
      });
      if (sent < batchSize) return;
    }
  }

  /** Drains one schema, never two drains of the same schema at once in this process. */
  function kick(schema: string): Promise<void> {
    dirty.add(schema);
    const current = running.get(schema);
    if (current) return current.then(() => (dirty.has(schema) ? kick(schema) : undefined));
    dirty.delete(schema);
    const p = drainSchema(schema)
      .then(() => {
        failures = 0;
      })
      .catch((err: Error) => {
        failures++;
        dirty.add(schema);
        log.warn({ schema, err: err.message, failures }, 'outbox relay failed; will retry');
      })
      .finally(() => running.delete(schema));
    running.set(schema, p);
    return p;
  }

  async function tick(): Promise<void> {
    await Promise.all(o.schemas.map((s) => kick(s)));
    if (Date.now() - lastCleanup > 3600_000) {
      lastCleanup = Date.now();
      await cleanup().catch((err: Error) => log.warn({ err: err.message }, 'outbox cleanup failed'));
    }
  }

  async function cleanup(): Promise<void> {
    const before = new Date(Date.now() - retentionMs);
    for (const schema of o.schemas) {
      await sql`delete from ${sql.raw(`${quoteIdent(schema)}.outbox`)} where published_at < ${before}`.execute(o.db);
    }
  }

  function schedule(): void {
    if (stopped) return;
    // Back off while the database or the bus is failing, up to 30 s.
    const delay = failures ? Math.min(30_000, o.pollMs * 2 ** Math.min(failures, 5)) : o.pollMs;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, delay);
  }

  /** LISTEN on a dedicated connection; on any failure, reconnect once after a pause (polling covers the gap). */
  async function listen(): Promise<void> {
    if (stopped) return;
    const client = new pg.Client({ connectionString: o.databaseUrl, application_name: 'evently-outbox-listener' });
    let failed = false;
    const fail = (err: Error) => {
      if (failed) return;
      failed = true;
      if (listener === client) listener = undefined;
      void client.end().catch(() => undefined);
      if (stopped) return;
      log.warn({ err: err.message }, 'outbox listener lost its connection; polling until it is back');
      setTimeout(() => void listen(), 1_000).unref();
    };
    client.on('error', fail);
    client.on('end', () => fail(new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.payload && o.schemas.includes(msg.payload)) void kick(msg.payload);
    });
    try {
      await client.connect();
      await client.query('listen evently_outbox');
    } catch (err) {
      fail(err as Error);
      return;
    }
    if (stopped) return void (await client.end().catch(() => undefined));
    listener = client;
  }

  return {
    async start() {
      stopped = false;
      await listen();
      await tick();
      schedule();
    },
    async drain() {
      await Promise.all(o.schemas.map((s) => kick(s)));
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.all(running.values());
      const l = listener;
      listener = undefined;
      await l?.end().catch(() => undefined);
    },
  };
}
