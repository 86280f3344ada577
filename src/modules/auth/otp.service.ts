import { newId, type Sealer, type Tx } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { consumeOtp, liveCode, peekCode, replaceOtp, takeAttempt, type OtpPurpose } from './otps.repository.js';
import { burnVerification, checkPassword, hashSecret, newOtp, newResetCode, normaliseCode, verifySecret } from './passwords.js';
import type { AuthLimits } from './rate-limits.js';
import { lockRegistration, type RegistrationRow } from './registrations.repository.js';
import { lockUser, type UserRow } from './users.repository.js';

export interface PreparedOtp {
  /** What the event carries: the code encrypted for the mailer. */
  sealed: string;
  hash: string;
}

/**
 * A new code for the purpose: six digits to verify an address, a 50-bit reset code (newResetCode) to
 * reset a password. Hashing is slow on purpose: done before the transaction so no connection waits.
 */
export async function prepareOtp(sealer: Sealer, purpose: OtpPurpose): Promise<PreparedOtp> {
  const code = purpose === 'reset_password' ? newResetCode() : newOtp();
  const [hash, sealed] = await Promise.all([hashSecret(normaliseCode(code)), sealer.seal(code)]);
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

/** Reads nothing: stands in for an owner that does not exist, so every path runs the same statements. */
const NOBODY = '00000000-0000-0000-0000-000000000000';

/**
 * Checks a guess of the owner's latest code and, when given, the owner's password, doing the same
 * work on every path (a password check, one statement, a code check; against dummies and NOBODY when
 * there is nothing to check), so the time taken does not tell whether the account exists.
 * Verification codes (six digits) take at most OTP_MAX_ATTEMPTS guesses, counted in their own
 * statement before the check, and only guesses with the right password count: a stranger cannot use
 * up the owner's code. Reset codes are too long to guess and count nothing. Returns the code's id to
 * consume in the caller's transaction, and whether the password hash should be renewed (see
 * checkPassword); throws invalidCode() for any failure.
 */
export async function checkCode(deps: AuthDeps, owner: CodeOwner | undefined, purpose: OtpPurpose, guess: string, password?: string): Promise<{ otpId: string; rehash: boolean }> {
  const pw = password === undefined ? { match: true, rehash: false } : await checkPassword(owner?.password_hash, password);
  const subject = owner && pw.match ? owner.id : NOBODY;
  const code = purpose === 'reset_password' ? await peekCode(deps.db, subject, purpose) : await takeAttempt(deps.db, subject, purpose);
  const normalised = normaliseCode(guess);
  const codeOk = code ? await verifySecret(code.code_hash, normalised) : await burnVerification(normalised).then(() => false);
  if (!code || !codeOk) throw invalidCode();
  return { otpId: code.id, rehash: pw.rehash };
}

/** Uses the checked code up inside the transaction that applies its effect (exactly once). */
export async function consumeChecked(trx: Tx, otpId: string): Promise<void> {
  if (!(await consumeOtp(trx, otpId))) throw invalidCode();
}

/** Who a code is mailed to: an account (for a purpose it still qualifies for), or a pending registration. */
export type CodeRecipient = { user: UserRow } | { registration: RegistrationRow };

/**
 * Mails the recipient its code for the purpose, at most once per AUTH_OTP_RESEND_COOLDOWN_S per
 * address. While its latest code can still be used, that code is sent again: asking again, by
 * anyone, never voids the code its owner may be typing. Otherwise a new code goes out. The caller
 * answered already (the mail-code job runs this). The recipient is read again under a lock, and the
 * mail built from that row: an email change or verification committed meanwhile wins.
 */
export async function mailCode(deps: AuthDeps, limits: AuthLimits, recipient: CodeRecipient, purpose: OtpPurpose): Promise<void> {
  const otp = await prepareOtp(deps.sealer, purpose);
  await deps.transaction(async (trx) => {
    const to = await relock(trx, recipient, purpose);
    if (!to || !(await limits.mayMail(purpose, to.email))) return;
    const live = await liveCode(trx, to.id, purpose);
    const code = live ?? { code_sealed: otp.sealed, expires_at: await storeOtp(trx, to.id, purpose, otp) };
    const e = purpose === 'verify_email' ? authEvents.otpRequested(to, code.code_sealed, code.expires_at) : authEvents.passwordResetRequested(to, code.code_sealed, code.expires_at);
    await deps.outbox.add(trx, e);
  });
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
