import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';

export type OtpPurpose = 'verify_email' | 'reset_password';

/** SPEC §3: a code lives 10 minutes and takes at most 5 guesses. */
export const OTP_TTL_SECONDS = 600;
export const OTP_MAX_ATTEMPTS = 5;

/**
 * A new code replaces every live one of the same purpose: only the latest mail works. Codes belong
 * to an account or to a pending registration: `user_id` is the account's id, or the registration's
 * (which the account takes). The sealed copy lets a later request re-send this code (liveCode).
 */
export async function replaceOtp(db: Executor, o: { id: string; user_id: string; purpose: OtpPurpose; code_hash: string; code_sealed: string }): Promise<Date> {
  await endCodes(db, o.user_id, [o.purpose]);
  const { rows } = await sql<{ expires_at: Date }>`
    insert into auth.otps (id, user_id, purpose, code_hash, code_sealed, expires_at)
    values (${o.id}, ${o.user_id}, ${o.purpose}, ${o.code_hash}, ${o.code_sealed}, now() + make_interval(secs => ${OTP_TTL_SECONDS}))
    returning expires_at`.execute(db);
  return rows[0]!.expires_at;
}

/** The latest code if it can still be used (not consumed, not expired, guesses left), to re-send. */
export async function liveCode(db: Executor, userId: string, purpose: OtpPurpose): Promise<{ code_sealed: string; expires_at: Date } | undefined> {
  const { rows } = await sql<{ code_sealed: string; expires_at: Date }>`
    select code_sealed, expires_at from auth.otps where user_id = ${userId} and purpose = ${purpose} and consumed_at is null
      and expires_at > now() and attempts < ${OTP_MAX_ATTEMPTS} and code_sealed is not null
    order by created_at desc limit 1`.execute(db);
  return rows[0];
}

export interface Attempt {
  id: string;
  code_hash: string;
  attempts: number;
}

/**
 * Spends one guess on the user's live code and returns it, or nothing when there is no live code or
 * its guesses are used up. The count and its limit are one UPDATE: row locking makes parallel
 * guesses queue on the row and re-check `attempts < max`, so no more than max can ever pass.
 * Run it outside the caller's transaction: a guess must stay counted whatever happens next.
 */
export async function takeAttempt(db: Executor, userId: string, purpose: OtpPurpose): Promise<Attempt | undefined> {
  const { rows } = await sql<Attempt>`
    update auth.otps set attempts = attempts + 1,
      code_sealed = case when attempts + 1 >= ${OTP_MAX_ATTEMPTS} then null else code_sealed end
    where id = (select id from auth.otps where user_id = ${userId} and purpose = ${purpose} and consumed_at is null
                order by created_at desc limit 1)
      and consumed_at is null and expires_at > now() and attempts < ${OTP_MAX_ATTEMPTS}
    returning id, code_hash, attempts`.execute(db);
  return rows[0];
}

/** The user's latest live code, for a purpose whose codes count no guesses (see checkCode). */
export async function peekCode(db: Executor, userId: string, purpose: OtpPurpose): Promise<Attempt | undefined> {
  const { rows } = await sql<Attempt>`
    select id, code_hash, attempts from auth.otps where user_id = ${userId} and purpose = ${purpose}
      and consumed_at is null and expires_at > now()
    order by created_at desc limit 1`.execute(db);
  return rows[0];
}

/** Ends every live code of the user (of those purposes): a change they were mailed for has passed them by. */
export async function endCodes(db: Executor, userId: string, purposes: readonly OtpPurpose[] = ['verify_email', 'reset_password']): Promise<void> {
  await sql`update auth.otps set consumed_at = now(), code_sealed = null
    where user_id = ${userId} and purpose = any(${[...purposes]}::text[]) and consumed_at is null`.execute(db);
}

/** Uses the code up, once: of two correct guesses racing, one wins. */
export async function consumeOtp(db: Executor, id: string): Promise<boolean> {
  const { rows } = await sql`update auth.otps set consumed_at = now(), code_sealed = null where id = ${id} and consumed_at is null returning id`.execute(db);
  return rows.length > 0;
}
