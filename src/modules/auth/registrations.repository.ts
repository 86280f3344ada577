import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';
import { usernameTakenError } from './users.repository.js';

/** A pending registration lasts a day: time to ask for new codes, not to squat a username for long. */
export const REGISTRATION_TTL_SECONDS = 86_400;

export interface RegistrationRow {
  /** The id the account takes once the address is proven. */
  id: string;
  email: string;
  username: string;
  full_name: string | null;
  password_hash: string;
  created_at: Date;
  expires_at: Date;
}

export type NewRegistration = Pick<RegistrationRow, 'id' | 'email' | 'username' | 'full_name' | 'password_hash'>;

/**
 * True when an account holds the username, or a live registration for another address does. Its own
 * address may register again with the same username (a form sent twice).
 */
export async function usernameReserved(db: Executor, username: string, email: string): Promise<boolean> {
  const { rows } = await sql`
    select 1 from auth.users where username = ${username}
    union all
    select 1 from auth.registrations where username = ${username} and email <> ${email} and expires_at > now()
    limit 1`.execute(db);
  return rows.length > 0;
}

/**
 * Stores the registration as the address's only pending one (a later one replaces it, with a new id,
 * so the codes of the one before no longer match anything, but keeps its expiry: registering again
 * and again does not hold a username for longer). Expired registrations in the way go.
 */
export async function putRegistration(db: Executor, r: NewRegistration): Promise<RegistrationRow> {
  await sql`delete from auth.registrations where (email = ${r.email} or username = ${r.username}) and expires_at <= now()`.execute(db);
  try {
    const { rows } = await sql<RegistrationRow>`
      insert into auth.registrations (id, email, username, full_name, password_hash, expires_at)
      values (${r.id}, ${r.email}, ${r.username}, ${r.full_name}, ${r.password_hash}, now() + make_interval(secs => ${REGISTRATION_TTL_SECONDS}))
      on conflict (email) do update set id = excluded.id, username = excluded.username, full_name = excluded.full_name,
        password_hash = excluded.password_hash, created_at = now()
      returning *`.execute(db);
    return rows[0]!;
  } catch (err) {
    // Another address's registration took the username between the check and this insert.
    if ((err as { code?: string }).code === '23505') throw usernameTakenError();
    throw err;
  }
}

/** The address's live pending registration. */
export async function findRegistration(db: Executor, email: string): Promise<RegistrationRow | undefined> {
  const { rows } = await sql<RegistrationRow>`select * from auth.registrations where email = ${email} and expires_at > now()`.execute(db);
  return rows[0];
}

/** Removes the registration (it became an account) if it is still this one; false when it is not. */
export async function takeRegistration(db: Executor, id: string): Promise<boolean> {
  const { rows } = await sql`delete from auth.registrations where id = ${id} returning id`.execute(db);
  return rows.length > 0;
}

/** Deletes the registrations that expired (their codes expired long before). */
export async function deleteExpiredRegistrations(db: Executor): Promise<number> {
  const { rows } = await sql`delete from auth.registrations where expires_at <= now() returning id`.execute(db);
  return rows.length;
}

/** The registration, locked until the transaction ends, if it is still live. */
export async function lockRegistration(db: Executor, id: string): Promise<RegistrationRow | undefined> {
  const { rows } = await sql<RegistrationRow>`select * from auth.registrations where id = ${id} and expires_at > now() for update`.execute(db);
  return rows[0];
}
