import { sql } from 'kysely';
import { currentContext } from '../context.js';
import { newId } from '../ids.js';
import type { Executor } from '../db/database.js';
import { afterCommit, isHelperTransaction } from '../db/transaction.js';
import { quoteIdent } from '../db/platform.sql.js';
import type { DomainEvent } from './types.js';

export interface NewEvent<P = unknown> {
  type: string;
  payload: P;
  /** Payload schema version (default 1). */
  version?: number;
}

/**
 * A module's outbox. `add` must be given the transaction that makes the change the event reports,
 * so the event exists if and only if the change committed.
 */
export interface Outbox {
  readonly schema: string;
  add(trx: Executor, ...events: NewEvent[]): Promise<DomainEvent[]>;
}

/** Tells this process's relay that a schema's outbox has new committed rows. */
export interface OutboxSignal {
  notify(schema: string): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (schema: string) => void): () => void;
}

export function createOutboxSignal(): OutboxSignal {
  const listeners = new Set<(schema: string) => void>();
  return {
    notify: (schema) => listeners.forEach((l) => l(schema)),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * `signal` wakes the relay right after the writing transaction commits (an after-commit hook of the
 * transaction helper), so an event reaches in-process consumers at once with nothing on the
 * database's commit path; without it (or in another replica) the relay's poll finds the rows.
 */
export function createOutbox(schema: string, signal?: OutboxSignal): Outbox {
  const woken = new WeakSet<object>();
  return {
    schema,
    async add(trx, ...events) {
      if (!events.length) return [];
      // Only the helper's transactions commit atomically with a wake-up (and are retried and bounded).
      if (!isHelperTransaction(trx)) throw new Error(`outbox ${schema}: events must be written in a transaction of the transaction helper`);
      if (signal && !woken.has(trx)) {
        woken.add(trx);
        afterCommit(trx as never, () => signal.notify(schema));
      }
      const correlationId = currentContext()?.requestId ?? null;
      const rows: DomainEvent[] = events.map((e) => ({
        id: newId(),
        type: e.type,
        version: e.version ?? 1,
        occurredAt: new Date().toISOString(),
        correlationId,
        payload: e.payload,
      }));
      await outboxInsert(schema, rows).execute(trx);
      return rows;
    },
  };
}

/** The statement that writes events to an outbox (the outbox benchmark runs it under pgbench too). */
export function outboxInsert(schema: string, rows: DomainEvent[]) {
  const values = rows.map(
    (r) => sql`(${r.id}, ${r.type}, ${r.version}, ${JSON.stringify(r.payload)}::jsonb, ${r.correlationId}, ${r.occurredAt})`,
  );
  return sql`insert into ${sql.raw(`${quoteIdent(schema)}.outbox`)} (id, type, version, payload, correlation_id, occurred_at) values ${sql.join(values)}`;
}
