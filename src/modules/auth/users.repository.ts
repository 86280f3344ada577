import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { Executor } from '../../kernel/index.js';
import type { DB as AuthTables } from './auth.tables.js';

/** The pool or a transaction, typed by auth's tables. */
type AuthExecutor = Kysely<AuthTables> | Transaction<AuthTables>;
import { authError } from './auth.errors.js';

export type Role = 'user' | 'admin';
export const ROLES: readonly Role[] = ['user', 'admin'];

export interface UserRow {
  id: string;
  email: string;
  username: string;
  full_name: string | null;
  password_hash: string;
  role: Role;
  is_verified: boolean;
  is_active: boolean;
  created_at: Date;
  updated_at: Date;
  verified_at: Date | null;
  /** Bumped by every change of the row; events about the user carry it. */
  version: number;
}

export type NewUser = Pick<UserRow, 'id' | 'email' | 'username' | 'full_name' | 'password_hash' | 'role' | 'is_verified'>;

export const usernameTakenError = (message = 'this username is taken') => authError('USERNAME_TAKEN', message, { details: [{ field: 'username', message: 'already taken' }] });

/** Turns the unique-index violation a concurrent duplicate hits into the 409 that names the field. */
function duplicate(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'users_email_key') throw authError('EMAIL_TAKEN', 'an account with this email already exists', { details: [{ field: 'email', message: 'already registered' }] });
  if (e.code === '23505' && e.constraint === 'users_username_key') throw usernameTakenError();
  throw err;
}

export async function insertUser(db: Executor, u: NewUser): Promise<UserRow> {
  try {
    const { rows } = await sql<UserRow>`
      insert into auth.users (id, email, username, full_name, password_hash, role, is_verified, verified_at)
      values (${u.id}, ${u.email}, ${u.username}, ${u.full_name}, ${u.password_hash}, ${u.role}, ${u.is_verified}, ${u.is_verified ? sql`now()` : null})
      returning *`.execute(db);
    return rows[0]!;
  } catch (err) {
    return duplicate(err);
  }
}

/** Creates the user unless the email exists (then undefined): bootstrap starts racing create one. */
export async function insertUserIfAbsent(db: Executor, u: NewUser): Promise<UserRow | undefined> {
  try {
    const { rows } = await sql<UserRow>`
      insert into auth.users (id, email, username, full_name, password_hash, role, is_verified, verified_at)
      values (${u.id}, ${u.email}, ${u.username}, ${u.full_name}, ${u.password_hash}, ${u.role}, ${u.is_verified}, ${u.is_verified ? sql`now()` : null})
      on conflict (email) do nothing returning *`.execute(db);
    return rows[0];
  } catch (err) {
    return duplicate(err);
  }
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  const { rows } = await sql<UserRow>`select * from auth.users where email = ${email}`.execute(db);
  return rows[0];
}

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  const { rows } = await sql<UserRow>`select * from auth.users where id = ${id}`.execute(db);
  return rows[0];
}

/**
 * Reads the user and holds its row until the transaction ends: a session created under this lock
 * cannot slip past a concurrent deactivation, role change or delete (those update the row first,
 * then revoke the sessions they find).
 */
export async function lockUser(db: Executor, id: string, mode: 'share' | 'update' = 'share'): Promise<UserRow | undefined> {
  const { rows } = await sql<UserRow>`select * from auth.users where id = ${id} for ${sql.raw(mode === 'share' ? 'share' : 'update')}`.execute(db);
  return rows[0];
}

export interface UserPatch {
  email?: string;
  username?: string;
  full_name?: string | null;
  role?: Role;
  is_verified?: boolean;
  is_active?: boolean;
  password_hash?: string;
}

export async function updateUser(db: AuthExecutor, id: string, patch: UserPatch): Promise<UserRow | undefined> {
  const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as UserPatch;
  try {
    const row = await db
      .updateTable('auth.users')
      .set((eb) => ({
        ...given,
        ...(patch.is_verified === true ? { verified_at: eb.fn.coalesce('verified_at', sql<Date>`now()`) } : {}),
        ...(patch.is_verified === false ? { verified_at: null } : {}),
        updated_at: sql<Date>`now()`,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row as UserRow | undefined;
  } catch (err) {
    return duplicate(err);
  }
}

/** The user as verified by this call; undefined when already verified. */
export async function markVerified(db: Executor, id: string): Promise<UserRow | undefined> {
  const { rows } = await sql<UserRow>`
    update auth.users set is_verified = true, verified_at = now(), updated_at = now(), version = version + 1
    where id = ${id} and not is_verified returning *`.execute(db);
  return rows[0];
}

/** Deletes the user and its codes (which, also belonging to registrations, have no foreign key). */
export async function deleteUser(db: Executor, id: string): Promise<boolean> {
  await sql`delete from auth.otps where user_id = ${id}`.execute(db);
  const { rows } = await sql`delete from auth.users where id = ${id} returning id`.execute(db);
  return rows.length > 0;
}

export interface UserFilter {
  search?: string;
  role?: Role;
  is_active?: boolean;
  is_verified?: boolean;
  limit: number;
  offset: number;
}

export async function listUsers(db: AuthExecutor, f: UserFilter): Promise<{ items: UserRow[]; total: number }> {
  let q = db.selectFrom('auth.users');
  if (f.search) {
    const like = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where(sql<string>`email || ' ' || username || ' ' || coalesce(full_name, '')`, 'ilike', like);
  }
  if (f.role) q = q.where('role', '=', f.role);
  if (f.is_active !== undefined) q = q.where('is_active', '=', f.is_active);
  if (f.is_verified !== undefined) q = q.where('is_verified', '=', f.is_verified);
  const rows = await q
    .selectAll()
    .select(sql<number>`count(*) over ()`.as('total'))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit)
    .offset(f.offset)
    .execute();
  let total = rows[0]?.total ?? 0;
  // A page past the end has no row to carry the total: count on its own.
  if (!rows.length && f.offset > 0) total = (await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
  return { items: rows.map(({ total: _t, ...u }) => u as UserRow), total: Number(total) };
}
