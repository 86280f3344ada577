import { sql } from 'kysely';
import type { Logger } from '../logger.js';
import type { Db } from '../db/database.js';
import { quoteIdent } from '../db/platform.sql.js';
import type { DomainEvent, EventBus } from './types.js';
import type { OutboxSignal } from './outbox.js';

export interface RelayOptions {
  db: Db;
  schemas: readonly string[];
  /** Wakes the relay when this process commits outbox rows; the poll is the safety net. */
  signal?: OutboxSignal;
  bus: EventBus;
  logger: Logger;
  pollMs: number;
  batchSize?: number;
  /** How long a claimed batch is reserved for this relay before another may take it (default 60 s). */
  leaseMs?: number;
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** Publishes everything pending now (tests and shutdown use it). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

interface OutboxRow {
  seq: number;
  id: string;
  type: string;
  version: number;
  payload: unknown;
  correlation_id: string | null;
  occurred_at: Date;
}

function toEvent(r: OutboxRow): DomainEvent {
  return {
    id: r.id,
    type: r.type,
    version: r.version,
    occurredAt: new Date(r.occurred_at).toISOString(),
    correlationId: r.correlation_id,
    payload: r.payload,
  };
}

/**
 * Moves committed outbox rows to the bus. A relay claims a batch for a lease (SKIP LOCKED, so
 * relays in several replicas share the work), publishes it, and only then marks it published: a
 * crash in between leaves the rows to be claimed again when the lease runs out (at-least-once;
 * consumers deduplicate on the event id). Order is kept within a batch of one relay, not across
 * replicas or retries: consumers must not depend on it.
 */
export function createOutboxRelay(o: RelayOptions): OutboxRelay {
  const log = o.logger.child({ component: 'outbox-relay' });
  const batchSize = o.batchSize ?? 200;
  const leaseMs = o.leaseMs ?? 60_000;
  const dirty = new Set<string>(o.schemas);
  const running = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let stopped = true;
  let failures = 0;

  async function drainSchema(schema: string): Promise<void> {
    const table = sql.raw(`${quoteIdent(schema)}.outbox`);
    const lease = `${Math.ceil(leaseMs / 1000)} seconds`;
    while (!stopped) {
      // One statement, committed at once: no transaction or row lock is held while the bus works
      // (the in-process bus runs the consumers, which need pool connections of their own).
      const { rows } = await sql<OutboxRow>`
        update ${table} set claimed_until = now() + ${lease}::interval
        where seq in (
          select seq from ${table}
          where published_at is null and (claimed_until is null or claimed_until < now())
          order by seq limit ${batchSize} for update skip locked)
        returning seq, id, type, version, payload, correlation_id, occurred_at`.execute(o.db);
      if (!rows.length) return;
      rows.sort((a, b) => a.seq - b.seq);
      const seqs = rows.map((r) => r.seq);
      try {
        await o.bus.publish(rows.map(toEvent));
      } catch (err) {
        await sql`update ${table} set claimed_until = null where seq = any(${seqs}::bigint[])`.execute(o.db).catch(() => undefined);
        throw err;
      }
      await sql`update ${table} set published_at = now(), claimed_until = null where seq = any(${seqs}::bigint[])`.execute(o.db);
      if (rows.length < batchSize) return;
    }
  }

  /** Drains one schema, never two drains of the same schema at once in this process. */
  function kick(schema: string): Promise<void> {
    if (stopped) return Promise.resolve();
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
  }

  function schedule(): void {
    if (stopped) return;
    // Back off while the database or the bus is failing, up to 30 s.
    const delay = failures ? Math.min(30_000, o.pollMs * 2 ** Math.min(failures, 5)) : o.pollMs;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, delay);
  }

  return {
    async start() {
      stopped = false;
      unsubscribe = o.signal?.subscribe((schema) => {
        // While the database or the bus is failing, the backed-off poll retries: a wake-up per
        // commit would only hammer them (and the log) again.
        if (o.schemas.includes(schema) && failures === 0) void kick(schema);
      });
      await tick();
      schedule();
    },
    async drain() {
      await Promise.all(o.schemas.map((s) => kick(s)));
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      if (timer) clearTimeout(timer);
      await Promise.all(running.values());
    },
  };
}

/**
 * Retention of the messaging tables (a periodic task): published outbox rows after 7 days, inbox
 * rows after 30. A copy of an event redelivered later than the inbox keeps its id would be applied
 * again, so the inbox's retention stays far above the bus's longest redelivery.
 */
export async function deleteExpiredMessages(db: Db, schemas: readonly string[], o: { outboxMs?: number; inboxMs?: number } = {}): Promise<void> {
  const outboxBefore = new Date(Date.now() - (o.outboxMs ?? 7 * 24 * 3600_000));
  const inboxBefore = new Date(Date.now() - (o.inboxMs ?? 30 * 24 * 3600_000));
  for (const schema of schemas) {
    await sql`delete from ${sql.raw(`${quoteIdent(schema)}.outbox`)} where published_at < ${outboxBefore}`.execute(db);
    await sql`delete from ${sql.raw(`${quoteIdent(schema)}.inbox`)} where processed_at < ${inboxBefore}`.execute(db);
  }
}
