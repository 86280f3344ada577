import { newId, type Sealer, type Tx } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { attemptsExhausted, consumeOtp, OTP_MAX_ATTEMPTS, replaceOtp, takeAttempt, type OtpPurpose } from './otps.repository.js';
import { burnVerification, hashSecret, newOtp, verifySecret } from './passwords.js';
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

const invalid = () => authError('OTP_INVALID', 'the code is wrong, expired or already used', { details: [{ field: 'otp', message: 'invalid or expired code' }] });

/**
 * Checks a guess and returns the code's id to consume in the caller's transaction. The guess is
 * counted first, in its own statement, so it stays counted whatever the caller does next.
 */
export async function checkOtp(deps: AuthDeps, user: UserRow | undefined, purpose: OtpPurpose, guess: string): Promise<string> {
  if (!user) {
    await burnVerification(guess);
    throw invalid();
  }
  const attempt = await takeAttempt(deps.db, user.id, purpose);
  if (!attempt) {
    if (await attemptsExhausted(deps.db, user.id, purpose)) {
      throw authError('OTP_ATTEMPTS_EXCEEDED', `too many wrong codes (${OTP_MAX_ATTEMPTS}); request a new code`);
    }
    await burnVerification(guess);
    throw invalid();
  }
  if (!(await verifySecret(attempt.code_hash, guess))) {
    const left = OTP_MAX_ATTEMPTS - attempt.attempts;
    throw authError('OTP_INVALID', 'the code is wrong, expired or already used', { details: [{ field: 'otp', message: 'wrong code', attempts_left: left }] });
  }
  return attempt.id;
}

/** Uses the checked code up inside the transaction that applies its effect (exactly once). */
export async function consumeChecked(trx: Tx, otpId: string): Promise<void> {
  if (!(await consumeOtp(trx, otpId))) throw invalid();
}
