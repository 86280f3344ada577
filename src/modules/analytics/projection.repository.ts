import { sql } from 'kysely';
import type { Tx } from '../../kernel/index.js';
import type { Part } from './contribution.js';

type Row = Record<string, unknown>;

/**
 * Locks one entity's copy and replaces it with `merge(old)`: the row a message leaves behind, or
 * undefined when it changes nothing. The row lock orders every message about one entity, so each
 * sees the copy the last one left. Returns the copy before (none for a new entity) and after.
 */
export async function mergeCopy<R extends Row>(trx: Tx, table: string, idColumn: string, id: string, merge: (old: R | undefined) => R | undefined): Promise<{ before?: R; after: R } | undefined> {
  const t = sql.table(`analytics.${table}`);
  const find = async () => (await sql<R>`select * from ${t} where ${sql.ref(idColumn)} = ${id} for update`.execute(trx)).rows[0];
  let old = await find();
  if (!old) {
    const fresh = merge(undefined);
    if (!fresh) return undefined;
    const cols = Object.keys(fresh);
    const { rows } = await sql`insert into ${t} (${sql.join(cols.map((c) => sql.ref(c)))}) values (${sql.join(cols.map((c) => fresh[c]))})
      on conflict (${sql.ref(idColumn)}) do nothing returning 1 as inserted`.execute(trx);
    if (rows.length) return { after: fresh };
    // Another transaction created it first: merge into theirs.
    old = (await find())!;
  }
  const next = merge(old);
  if (!next || sameRow(old, next)) return undefined;
  const sets = Object.keys(next).filter((c) => c !== idColumn).map((c) => sql`${sql.ref(c)} = ${next[c]}`);
  await sql`update ${t} set ${sql.join(sets)} where ${sql.ref(idColumn)} = ${id}`.execute(trx);
  return { before: old, after: next };
}

function sameRow(a: Row, b: Row): boolean {
  return Object.keys(b).every((k) => {
    const x = a[k], y = b[k];
    return x instanceof Date && y instanceof Date ? x.getTime() === y.getTime() : String(x) === String(y);
  });
}

const KEYS: Record<Part['table'], string[]> = { event_stats: ['event_id'], daily_stats: ['day'], daily_revenue: ['day', 'currency'] };

/** Adds each part's counters to its row, creating it at zero first. Parts come in lock order (contribution.difference). */
export async function addParts(trx: Tx, parts: Part[]): Promise<void> {
  for (const p of parts) {
    const keys = KEYS[p.table];
    const cols = Object.keys(p.values);
    const t = sql.table(`analytics.${p.table}`);
    await sql`insert into ${t} (${sql.join([...keys, ...cols].map((c) => sql.ref(c)))})
      values (${sql.join([...keys.map((k) => p.key[k]), ...cols.map((c) => p.values[c])])})
      on conflict (${sql.join(keys.map((k) => sql.ref(k)))}) do update set
      ${sql.join(cols.map((c) => sql`${sql.ref(c)} = ${sql.ref(`${p.table}.${c}`)} + excluded.${sql.ref(c)}`))}`.execute(trx);
  }
}

/** The capacity an event's utilisation is measured against, kept with its stats. */
export async function setCapacity(trx: Tx, eventId: string, capacity: number): Promise<void> {
  await sql`insert into analytics.event_stats (event_id, capacity) values (${eventId}, ${capacity})
    on conflict (event_id) do update set capacity = excluded.capacity where event_stats.capacity is distinct from excluded.capacity`.execute(trx);
}

/** The currency an event's revenue is in (its bookings'), set by its first booking. */
export async function setCurrency(trx: Tx, eventId: string, currency: string): Promise<void> {
  await sql`update analytics.event_stats set currency = ${currency} where event_id = ${eventId} and currency is null`.execute(trx);
}

export async function logEvent(trx: Tx, e: { event_id: string; type: string; entity_id: string | null; occurred_at: string; correlation_id: string | null }): Promise<void> {
  await sql`insert into analytics.event_log (event_id, type, entity_id, occurred_at, correlation_id)
    values (${e.event_id}, ${e.type}, ${e.entity_id}, ${e.occurred_at}, ${e.correlation_id}) on conflict do nothing`.execute(trx);
}

/** Removes log entries received before `before`, at most `limit` (the retention task loops). */
export async function pruneEventLog(trx: Tx, before: Date, limit: number): Promise<number> {
  const { rows } = await sql`delete from analytics.event_log where event_id in (
    select event_id from analytics.event_log where received_at < ${before} limit ${limit}) returning 1 as gone`.execute(trx);
  return rows.length;
}
