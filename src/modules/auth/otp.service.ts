import { newId, type Sealer, type Tx } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { consumeOtp, liveCode, replaceOtp, takeAttempt, type OtpPurpose } from './otps.repository.js';
import { burnVerification, checkPassword, hashSecret, newOtp, verifySecret } from './passwords.js';
import type { AuthLimits } from './rate-limits.js';
import { lockRegistration, type RegistrationRow } from './registrations.repository.js';
import { lockUser, type UserRow } from './users.repository.js';

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
export function storeOtp(trx: Tx, subjectId: string, purpose: OtpPurpose, otp: PreparedOtp): Promise<Date> {
  return replaceOtp(trx, { id: newId(), user_id: subjectId, purpose, code_hash: otp.hash, code_sealed: otp.sealed });
}

/**
 * The one answer to every failed code, whatever failed: an unknown or disabled account, no code, an
 * expired, used or used-up code, a wrong code, a wrong password with a right code. Telling them
 * apart would tell a stranger which accounts exist and which have a live code.
 */
export const invalidCode = () =>
  authError('OTP_INVALID', 'the code is wrong, expired or used up; ask for a new one if needed', { details: [{ field: 'otp', message: 'invalid or expired code' }] });

/** Whose code it is: an account, or a pending registration (same id space: the account takes its id). */
export interface CodeOwner {
  id: string;
  password_hash: string;
}

/**
 * Checks a guess of the owner's latest code and, when given, the owner's password, doing the same
 * work on every path (a password check, then a code check, against dummies when there is nothing to
 * check), so the time taken does not tell whether the account exists. The password comes first: a
 * stranger without it spends none of the code's guesses. A guess is counted in its own statement,
 * so it stays counted whatever the caller does next. Returns the code's id to consume in the
 * caller's transaction, and whether the password hash should be renewed (see checkPassword);
 * throws invalidCode() for any failure.
 */
export async function checkCode(deps: AuthDeps, owner: CodeOwner | undefined, purpose: OtpPurpose, guess: string, password?: string): Promise<{ otpId: string; rehash: boolean }> {
  const pw = password === undefined ? { match: owner !== undefined, rehash: false } : await checkPassword(owner?.password_hash, password);
  const attempt = owner && pw.match ? await takeAttempt(deps.db, owner.id, purpose) : undefined;
  const codeOk = attempt ? await verifySecret(attempt.code_hash, guess) : await burnVerification(guess).then(() => false);
  if (!attempt || !codeOk) throw invalidCode();
  return { otpId: attempt.id, rehash: pw.rehash };
}

/** Uses the checked code up inside the transaction that applies its effect (exactly once). */
export async function consumeChecked(trx: Tx, otpId: string): Promise<void> {
  if (!(await consumeOtp(trx, otpId))) throw invalidCode();
}

/** Who a code is mailed to: an account (for a purpose it still qualifies for), or a pending registration. */
export type CodeRecipient = { user: UserRow } | { registration: RegistrationRow };

/**
 * Mails the recipient its code for the purpose. While its latest code can still be used, that code
 * is sent again, at most once per AUTH_OTP_RESEND_COOLDOWN_S: asking again, by anyone, never voids
 * the code its owner may be typing. Otherwise a new code goes out at once, so the owner can always
 * get one. The caller answers the same whatever happens here. The recipient is read again under a
 * lock, and the mail built from that row: an email change or verification committed meanwhile wins.
 */
export async function mailCode(deps: AuthDeps, limits: AuthLimits, recipient: CodeRecipient, purpose: OtpPurpose, otp: PreparedOtp): Promise<void> {
  const event = await deps.transaction(async (trx) => {
    const to = await relock(trx, recipient, purpose);
    if (!to) return undefined;
    const live = await liveCode(trx, to.id, purpose);
    if (live && !(await limits.mayMail(purpose, to.email))) return undefined;
    const code = live ?? { code_sealed: otp.sealed, expires_at: await storeOtp(trx, to.id, purpose, otp) };
    const e = purpose === 'verify_email' ? authEvents.otpRequested(to, code.code_sealed, code.expires_at) : authEvents.passwordResetRequested(to, code.code_sealed, code.expires_at);
    await deps.outbox.add(trx, e);
    return { fresh: !live, email: to.email };
  });
  // A new code starts the cooldown for re-sending it.
  if (event?.fresh) await limits.mailed(purpose, event.email);
}

async function relock(trx: Tx, recipient: CodeRecipient, purpose: OtpPurpose): Promise<Pick<UserRow, 'id' | 'email' | 'version'> | undefined> {
  if ('registration' in recipient) {
    const r = await lockRegistration(trx, recipient.registration.id);
    return r && { id: r.id, email: r.email, version: 1 };
  }
  const u = await lockUser(trx, recipient.user.id, 'update');
  const qualifies = u && u.email === recipient.user.email && u.is_active && (purpose === 'reset_password' || !u.is_verified);
  return qualifies ? u : undefined;
}
