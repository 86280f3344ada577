import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';

export interface Recipient {
  user_id: string;
  email: string | null;
  username: string | null;
  name: string | null;
  deleted_at: Date | null;
}

/** A user as an event reported it, at the version of the row it came from. */
export interface RecipientState {
  user_id: string;
  email: string;
  username: string;
  name: string | null;
  version: number;
}

/** One upsert per event: the row takes the event's state only when the event is newer. */
export async function applyRecipient(db: Executor, r: RecipientState): Promise<void> {
  await sql`
    insert into notifications.recipients as r (user_id, email, username, name, version, updated_at)
    values (${r.user_id}, ${r.email}, ${r.username}, ${r.name}, ${r.version}, now())
    on conflict (user_id) do update set
      email = excluded.email, username = excluded.username, name = excluded.name, version = excluded.version, updated_at = now()
    -- a deleted user stays deleted: nothing older (or newer, ids are never reused) brings data back
    where r.version < excluded.version and r.deleted_at is null`.execute(db);
}

/** Forgets the person, keeps a tombstone so that a late registered/updated event cannot recreate them. */
export async function markRecipientDeleted(db: Executor, userId: string, version: number): Promise<void> {
  await sql`
    insert into notifications.recipients as r (user_id, deleted_at, version, updated_at) values (${userId}, now(), ${version}, now())
    on conflict (user_id) do update set
      email = null, username = null, name = null,
      deleted_at = coalesce(r.deleted_at, excluded.deleted_at),
      version = greatest(r.version, excluded.version), updated_at = now()`.execute(db);
}

export async function findRecipient(db: Executor, userId: string): Promise<Recipient | undefined> {
  const { rows } = await sql<Recipient>`
    select user_id, email, username, name, deleted_at from notifications.recipients where user_id = ${userId}`.execute(db);
  return rows[0];
}
