import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';
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

/** Turns the unique-index violation a concurrent duplicate hits into the 409 that names the field. */
function duplicate(err: unknown): never {
  const e = err as { code?: string; constraint?: string };
  if (e.code === '23505' && e.constraint === 'users_email_key') throw authError('EMAIL_TAKEN', 'an account with this email already exists', { details: [{ field: 'email', message: 'already registered' }] });
  if (e.code === '23505' && e.constraint === 'users_username_key') throw authError('USERNAME_TAKEN', 'this username is taken', { details: [{ field: 'username', message: 'already taken' }] });
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

/** Creates the user unless the email exists (bootstrap admin: concurrent starts create one). */
export async function insertUserIfAbsent(db: Executor, u: NewUser): Promise<UserRow | undefined> {
  try {
    const { rows } = await sql<UserRow>`
      insert into auth.users (id, email, username, full_name, password_hash, role, is_verified, verified_at)
      values (${u.id}, ${u.email}, ${u.username}, ${u.full_name}, ${u.password_hash}, ${u.role}, ${u.is_verified}, now())
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

export async function updateUser(db: Executor, id: string, patch: UserPatch): Promise<UserRow | undefined> {
  const sets = Object.entries(patch)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => sql`${sql.ref(k)} = ${v}`);
  if (patch.is_verified === true) sets.push(sql`verified_at = coalesce(verified_at, now())`);
  if (patch.is_verified === false) sets.push(sql`verified_at = null`);
  try {
    const { rows } = await sql<UserRow>`
      update auth.users set ${sql.join([...sets, sql`updated_at = now()`, sql`version = version + 1`])} where id = ${id} returning *`.execute(db);
    return rows[0];
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

export async function deleteUser(db: Executor, id: string): Promise<boolean> {
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

export async function listUsers(db: Executor, f: UserFilter): Promise<{ items: UserRow[]; total: number }> {
  const where = [sql`true`];
  if (f.search) {
    const like = `%${f.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    where.push(sql`(email || ' ' || username || ' ' || coalesce(full_name, '')) ilike ${like}`);
  }
  if (f.role) where.push(sql`role = ${f.role}`);
  if (f.is_active !== undefined) where.push(sql`is_active = ${f.is_active}`);
  if (f.is_verified !== undefined) where.push(sql`is_verified = ${f.is_verified}`);
  const cond = sql.join(where, sql` and `);
  const { rows } = await sql<UserRow & { total: number }>`
    select *, count(*) over () as total from auth.users where ${cond}
    order by created_at desc, id desc limit ${f.limit} offset ${f.offset}`.execute(db);
  let total = rows[0]?.total ?? 0;
  if (!rows.length && f.offset > 0) {
    const { rows: c } = await sql<{ n: number }>`select count(*)::int as n from auth.users where ${cond}`.execute(db);
    total = c[0]!.n;
  }
  return { items: rows.map(({ total: _t, ...u }) => u), total };
}
