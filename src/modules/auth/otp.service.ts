import { newId, type Sealer, type Tx } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { consumeOtp, replaceOtp, takeAttempt, type OtpPurpose } from './otps.repository.js';
import { burnVerification, checkPassword, hashSecret, newOtp, verifySecret } from './passwords.js';
import type { UserRow } from './users.repository.js';

export interface PreparedOtp {
  /** What the event carries: the code encrypted for the mailer. */
  sealed: string;
  hash: string;
}

/** Hashing is slow on purpose: done before the transaction so no connection waits on it. */
export async function prepareOtp(sealer: Sealer): Promise<PreparedOtp> {
  const code = newOtp();
  const [hash, sealed] = await Promise.all([hashSecret(code), sealer.seal(code)]);
  return { sealed, hash };
}

/** Stores the code (replacing older ones) in the caller's transaction; returns its expiry. */
export function storeOtp(trx: Tx, user: Pick<UserRow, 'id'>, purpose: OtpPurpose, otp: PreparedOtp): Promise<Date> {
  return replaceOtp(trx, { id: newId(), user_id: user.id, purpose, code_hash: otp.hash });
}

/**
 * The one answer to every failed code, whatever failed: an unknown or disabled account, no code, an
 * expired, used or used-up code, a wrong code, a wrong password with a right code. Telling them
 * apart would tell a stranger which accounts exist and which have a live code.
 */
export const invalidCode = () =>
  authError('OTP_INVALID', 'the code is wrong, expired or used up; ask for a new one if needed', { details: [{ field: 'otp', message: 'invalid or expired code' }] });

/**
 * Checks a guess of the user's latest code and, when given, their password, doing the same work
 * (two Argon2 verifications at once) on every path, so the time taken tells nothing either. The
 * guess is counted first, in its own statement, so it stays counted whatever the caller does next.
 * Returns the code's id to consume in the caller's transaction, and whether the password hash
 * should be renewed (see checkPassword); throws invalidCode() for any failure.
 */
export async function checkCode(deps: AuthDeps, user: UserRow | undefined, purpose: OtpPurpose, guess: string, password?: string): Promise<{ otpId: string; rehash: boolean }> {
  const attempt = user ? await takeAttempt(deps.db, user.id, purpose) : undefined;
  const [codeOk, pw] = await Promise.all([
    attempt ? verifySecret(attempt.code_hash, guess) : burnVerification(guess).then(() => false),
    password === undefined ? { match: true, rehash: false } : user ? checkPassword(user.password_hash, password) : burnVerification(password).then(() => ({ match: false, rehash: false })),
  ]);
  if (!attempt || !codeOk || !pw.match) throw invalidCode();
  return { otpId: attempt.id, rehash: pw.rehash };
}

/** Uses the checked code up inside the transaction that applies its effect (exactly once). */
export async function consumeChecked(trx: Tx, otpId: string): Promise<void> {
  if (!(await consumeOtp(trx, otpId))) throw invalidCode();
}
