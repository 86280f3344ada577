import { sql } from 'kysely';
import type { SESSION_REVOKE_REASONS } from '../../contracts/auth.js';
import type { Executor } from '../../kernel/index.js';

export interface SessionRow {
  id: string;
  user_id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip: string | null;
  /** Bumped by each rotation and by the revocation; the revocation event carries it. */
  version: number;
}

export type RevokeReason = (typeof SESSION_REVOKE_REASONS)[number];

export async function insertSession(db: Executor, s: { id: string; user_id: string; max_seconds: number; user_agent: string | null; ip: string | null }): Promise<SessionRow> {
  const { rows } = await sql<SessionRow>`
    insert into auth.sessions (id, user_id, expires_at, user_agent, ip)
    values (${s.id}, ${s.user_id}, now() + make_interval(secs => ${s.max_seconds}), ${s.user_agent}, ${s.ip})
    returning *`.execute(db);
  return rows[0]!;
}

export async function insertRefreshToken(db: Executor, tokenHash: Buffer, sessionId: string): Promise<void> {
  await sql`insert into auth.refresh_tokens (token_hash, session_id) values (${tokenHash}, ${sessionId})`.execute(db);
}

/**
 * Marks a refresh token used, once: of two requests presenting the same token only one gets the
 * session id back; the other finds it used (reuse).
 */
export async function useRefreshToken(db: Executor, tokenHash: Buffer): Promise<string | undefined> {
  const { rows } = await sql<{ session_id: string }>`
    update auth.refresh_tokens set used_at = now() where token_hash = ${tokenHash} and used_at is null
    returning session_id`.execute(db);
  return rows[0]?.session_id;
}

/** The session and user a refresh token was issued to (used or not), read without locking. */
export async function ownerOfRefreshToken(db: Executor, tokenHash: Buffer): Promise<{ session_id: string; user_id: string } | undefined> {
  const { rows } = await sql<{ session_id: string; user_id: string }>`
    select t.session_id, s.user_id from auth.refresh_tokens t join auth.sessions s on s.id = t.session_id
    where t.token_hash = ${tokenHash}`.execute(db);
  return rows[0];
}

/**
 * Ids and times of sessions revoked since `since`: reloaded into the revocation list at start. The
 * outbox's revocation events count too: deleting a user deletes its (just revoked) session rows.
 */
export async function revokedSince(db: Executor, since: Date): Promise<{ id: string; revoked_at: Date }[]> {
  const { rows } = await sql<{ id: string; revoked_at: Date }>`
    select id, revoked_at from auth.sessions where revoked_at > ${since}
    union
    select (payload->>'session_id')::uuid, occurred_at from auth.outbox
    where type = 'auth.session.revoked' and occurred_at > ${since}`.execute(db);
  return rows;
}

/** A live session: not revoked, not past its absolute end, not idle too long. */
const live = (idleSeconds: number) =>
  sql`revoked_at is null and expires_at > now() and last_used_at > now() - make_interval(secs => ${idleSeconds})`;

/** The session, locked, and whether it is still live by the database's clock (the rule of `live`). */
export async function lockSession(db: Executor, id: string, idleSeconds: number): Promise<(SessionRow & { live: boolean }) | undefined> {
  const { rows } = await sql<SessionRow & { live: boolean }>`
    select *, ${live(idleSeconds)} as live from auth.sessions where id = ${id} for update`.execute(db);
  return rows[0];
}

export async function touchSession(db: Executor, id: string): Promise<void> {
  await sql`update auth.sessions set last_used_at = now(), version = version + 1 where id = ${id}`.execute(db);
}

/** The user's live sessions beyond the `keep` most recently used. */
export async function sessionsBeyond(db: Executor, userId: string, keep: number, idleSeconds: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select id from auth.sessions where user_id = ${userId} and ${live(idleSeconds)}
    order by last_used_at desc, created_at desc offset ${keep}`.execute(db);
  return rows.map((r) => r.id);
}

export async function listLiveSessions(db: Executor, userId: string, idleSeconds: number): Promise<SessionRow[]> {
  const { rows } = await sql<SessionRow>`
    select * from auth.sessions where user_id = ${userId} and ${live(idleSeconds)}
    order by last_used_at desc limit 200`.execute(db);
  return rows;
}

export interface Revoked {
  id: string;
  user_id: string;
  version: number;
}

/** One session (of that user, when given), some sessions of a user, or every session of a user (but one). */
export type RevokeFilter = { id: string; userId?: string } | { ids: string[]; userId: string } | { userId: string; exceptId?: string };

/** Revokes the matching sessions not revoked yet and returns them (exactly once per session). */
export async function revokeSessions(db: Executor, by: RevokeFilter, reason: RevokeReason): Promise<Revoked[]> {
  const cond = 'id' in by
    ? sql`id = ${by.id}${by.userId ? sql` and user_id = ${by.userId}` : sql``}`
    : 'ids' in by
      ? sql`id = any(${by.ids}::uuid[]) and user_id = ${by.userId}`
      : sql`user_id = ${by.userId}${by.exceptId ? sql` and id <> ${by.exceptId}` : sql``}`;
  const { rows } = await sql<Revoked>`
    update auth.sessions set revoked_at = now(), revoked_reason = ${reason}, version = version + 1
    where ${cond} and revoked_at is null returning id, user_id, version`.execute(db);
  return rows;
}

/**
 * Deletes sessions that can no longer be used (their refresh tokens go with them) once every access
 * token they issued has expired as well, and one-time codes that are used or expired.
 */
export async function deleteDeadSessions(db: Executor, o: { idleSeconds: number; graceSeconds: number }): Promise<{ sessions: number; otps: number }> {
  const { rows } = await sql<{ id: string }>`
    delete from auth.sessions
    where coalesce(revoked_at, least(expires_at, last_used_at + make_interval(secs => ${o.idleSeconds})))
          < now() - make_interval(secs => ${o.graceSeconds})
    returning id`.execute(db);
  // An expired code is useless, and its sealed copy should not outstay it.
  const otps = await sql`delete from auth.otps where consumed_at is not null or expires_at < now()`.execute(db);
  return { sessions: rows.length, otps: Number(otps.numAffectedRows ?? 0) };
}
