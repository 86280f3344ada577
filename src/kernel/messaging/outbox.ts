import { sql } from 'kysely';
import { currentContext } from '../context.js';
import { newId } from '../ids.js';
import type { Executor } from '../db/database.js';
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

export function createOutbox(schema: string): Outbox {
  const table = sql.raw(`${quoteIdent(schema)}.outbox`);
  return {
    schema,
    async add(trx, ...events) {
      if (!events.length) return [];
      const correlationId = currentContext()?.requestId ?? null;
      const rows: DomainEvent[] = events.map((e) => ({
        id: newId(),
        type: e.type,
        version: e.version ?? 1,
        occurredAt: new Date().toISOString(),
        correlationId,
        payload: e.payload,
      }));
      const values = rows.map(
        (r) => sql`(${r.id}, ${r.type}, ${r.version}, ${JSON.stringify(r.payload)}::jsonb, ${r.correlationId}, ${r.occurredAt})`,
      );
      await sql`insert into ${table} (id, type, version, payload, correlation_id, occurred_at) values ${sql.join(values)}`.execute(trx);
      return rows;
    },
  };
}
