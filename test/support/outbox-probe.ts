import { sql } from 'kysely';
import { createDatabase, createLogger, migratePlatform, migrateSchema, type Database, type DomainEvent, type Consumer, type EventBus } from '../../src/kernel/index.js';

/**
 * The platform schema (failed events) and a throwaway module schema `probe` with an `effects` table: a consumer's effect is one row per
 * event id, so "applied once" is a row count the database can answer.
 */
export async function setupProbe(url: string): Promise<Database> {
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent', service: 'test' });
  const database = createDatabase({ url, poolMax: 10, logger });
  await migratePlatform(database.db, logger);
  await migrateSchema({ db: database.db, schema: 'probe', dir: null, logger });
  await sql`create table if not exists probe.effects (event_id uuid not null, applied_at timestamptz default now())`.execute(database.db);
  return database;
}

export function effectConsumer(seen: DomainEvent[], before?: (e: DomainEvent) => Promise<void>): Consumer {
  return {
    name: 'probe-effects',
    topics: ['probe.*'],
    async handle(event, trx) {
      seen.push(event);
      await sql`insert into probe.effects (event_id) values (${event.id})`.execute(trx);
      if (before) await before(event);
    },
  };
}

export async function effectCount(database: Database, eventId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from probe.effects where event_id = ${eventId}`.execute(database.db);
  return rows[0]!.n;
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The same bus, recording every delivery (the inbox hides duplicates from the consumer itself). */
export function countingBus(bus: EventBus, delivered: DomainEvent[]): EventBus {
  return {
    kind: bus.kind,
    publish: (events) => bus.publish(events),
    start: () => bus.start(),
    stop: () => bus.stop(),
    pending: () => bus.pending(),
    subscribe: (s) =>
      bus.subscribe({
        ...s,
        handler: async (e) => {
          delivered.push(e);
          await s.handler(e);
        },
      }),
  };
}
