import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';

export interface Recipient {
  user_id: string;
  email: string | null;
  username: string | null;
  name: string | null;
  deleted_at: Date | null;
}

/**
 * A field change as an event reported it: `undefined` leaves the field alone, `null` clears it.
 * `at` is the event's occurredAt; a change older than the one already applied to a field is ignored,
 * so out-of-order delivery converges to the newest value of every field.
 */
export interface RecipientChange {
  user_id: string;
  at: string;
  email?: string;
  username?: string;
  name?: string | null;
}

/** One upsert per event: a field is taken only when it comes from a newer event than the stored one. */
export async function applyRecipientChange(db: Executor, c: RecipientChange): Promise<void> {
  const email = c.email !== undefined;
  const name = c.name !== undefined;
  await sql`
    insert into notifications.recipients as r (user_id, email, email_at, username, name, name_at, updated_at)
    values (${c.user_id}, ${c.email ?? null}, ${email ? c.at : null}, ${c.username ?? null},
            ${c.name ?? null}, ${name ? c.at : null}, ${c.at})
    on conflict (user_id) do update set
      email = case when excluded.email_at >= coalesce(r.email_at, '-infinity') then excluded.email else r.email end,
      email_at = greatest(r.email_at, excluded.email_at),
      -- usernames never change; the first event that carries one fills it
      username = coalesce(r.username, excluded.username),
      name = case when excluded.name_at >= coalesce(r.name_at, '-infinity') then excluded.name else r.name end,
      name_at = greatest(r.name_at, excluded.name_at),
      updated_at = greatest(r.updated_at, excluded.updated_at)
    -- a deleted user stays deleted: nothing older (or newer, ids are never reused) brings data back
    where r.deleted_at is null`.execute(db);
}

/** Forgets the person, keeps a tombstone so that a late registered/updated event cannot recreate them. */
export async function markRecipientDeleted(db: Executor, userId: string, at: string): Promise<void> {
  await sql`
    insert into notifications.recipients as r (user_id, deleted_at, updated_at) values (${userId}, ${at}, ${at})
    on conflict (user_id) do update set
      email = null, email_at = null, username = null, name = null, name_at = null,
      deleted_at = least(coalesce(r.deleted_at, excluded.deleted_at), excluded.deleted_at),
      updated_at = greatest(r.updated_at, excluded.updated_at)`.execute(db);
}

export async function findRecipient(db: Executor, userId: string): Promise<Recipient | undefined> {
  const { rows } = await sql<Recipient>`
    select user_id, email, username, name, deleted_at from notifications.recipients where user_id = ${userId}`.execute(db);
  return rows[0];
}
