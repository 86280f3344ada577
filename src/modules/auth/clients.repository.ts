import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';
import { clientKey } from './identity.js';

/** How long a client an account signed in from stays known. */
const KNOWN_FOR_DAYS = 90;
/** Looked up for unknown accounts too, so that the lookup costs the same either way. */
const NO_USER = '00000000-0000-0000-0000-000000000000';

/** True when the account signed in from this client (its IPv4 address or IPv6 /64) lately. */
export async function isKnownClient(db: Executor, userId: string | undefined, ip: string): Promise<boolean> {
  const { rows } = await sql`select 1 from auth.known_clients
    where user_id = ${userId ?? NO_USER} and client = ${clientKey(ip)} and last_seen > now() - make_interval(days => ${KNOWN_FOR_DAYS})`.execute(db);
  return rows.length > 0;
}

export async function rememberClient(db: Executor, userId: string, ip: string): Promise<void> {
  await sql`insert into auth.known_clients (user_id, client) values (${userId}, ${clientKey(ip)})
    on conflict (user_id, client) do update set last_seen = now()`.execute(db);
}

export async function forgetOldClients(db: Executor): Promise<number> {
  const r = await sql`delete from auth.known_clients where last_seen < now() - make_interval(days => ${KNOWN_FOR_DAYS})`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
