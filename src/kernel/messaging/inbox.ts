import { sql } from 'kysely';
import type { Tx } from '../db/database.js';
import type { Transact } from '../db/transaction.js';
import { quoteIdent } from '../db/platform.sql.js';
import type { DomainEvent } from './types.js';

/**
 * Applies `effect` at most once per (consumer, event id): the inbox row and the effect commit in
 * one transaction, so a redelivered event finds its row and is skipped, and a failed effect leaves
 * no row and is retried. Returns false when the event had already been applied.
 */
export async function applyOnce(
  transaction: Transact,
  schema: string,
  consumer: string,
  event: DomainEvent,
  effect: (trx: Tx) => Promise<void>,
): Promise<boolean> {
  const table = sql.raw(`${quoteIdent(schema)}.inbox`);
  return transaction(async (trx) => {
    const inserted = await sql`insert into ${table} (consumer, event_id) values (${consumer}, ${event.id})
      on conflict do nothing returning event_id`.execute(trx);
    if (!inserted.rows.length) return false;
    await effect(trx);
    return true;
  });
}
