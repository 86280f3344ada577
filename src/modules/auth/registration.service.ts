import { newId } from '../../kernel/index.js';
import type { AuthDeps, ClientMeta } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { isKnownClient } from './clients.repository.js';
import { normaliseEmail, normaliseName, normaliseUsername } from './identity.js';
import { checkCode, consumeChecked, prepareOtp, storeOtp } from './otp.service.js';
import { hasUsableCode } from './otps.repository.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import type { AuthLimits } from './rate-limits.js';
import { findUserByEmail, insertUserIfAbsent, lockUserByEmail, markVerified, updateUser, usernameTaken, usernameTakenError, type UserRow } from './users.repository.js';

export interface Registration {
  email: string;
  username: string;
  full_name?: string | null;
  password: string;
}

/**
 * Self-service sign-up, answered the same way whatever became of it, so it tells nothing about an
 * address it did not just create:
 * - a new address: an unverified account, and a code mailed to it;
 * - an address whose account is still unverified: this registration replaces the pending one (its
 *   username, name and password) and a new code is mailed. Whoever proves the mailbox with the code
 *   *and the password of the registration they made* owns the account (verifyEmail), so neither an
 *   earlier squatter nor a later one can end up with a verified account in someone else's name;
 * - a verified account: nothing changes and nothing is mailed.
 * A username taken by any account (pending ones too) is refused, whatever the email: checked on its
 * own, so the answer does not depend on the address either.
 */
export async function register(deps: AuthDeps, limits: AuthLimits, input: Registration): Promise<void> {
  const email = normaliseEmail(input.email);
  const username = normaliseUsername(input.username);
  checkPasswordPolicy(input.password);
  // The same slow work on every path: the time taken must not tell whether the address is known.
  const [passwordHash, otp] = await Promise.all([hashPassword(input.password), prepareOtp(deps.sealer)]);
  // Registering again with one's own pending username is refused too (allowing it would tell that
  // the address is pending); the message points such a user to the way on.
  if (await usernameTaken(deps.db, username)) {
    throw usernameTakenError('this username is taken; if you registered it and have not verified yet, use the code mailed to you or ask for a new one (POST /api/v1/auth/resend-otp)');
  }
  const mailed = await deps.transaction(async (trx): Promise<UserRow | undefined> => {
    const fields = { username, full_name: normaliseName(input.full_name), password_hash: passwordHash };
    let user = await insertUserIfAbsent(trx, { id: newId(), email, role: 'user', is_verified: false, ...fields });
    if (user) {
      await deps.outbox.add(trx, authEvents.registered(user));
    } else {
      const pending = await lockUserByEmail(trx, email);
      if (!pending || pending.is_verified || !pending.is_active) return undefined;
      user = (await updateUser(trx, pending.id, fields))!;
      const changed = (['username', 'full_name'] as const).filter((f) => user![f] !== pending[f]);
      if (changed.length) await deps.outbox.add(trx, authEvents.updated(user, changed));
    }
    await deps.outbox.add(trx, authEvents.otpRequested(user, otp.sealed, await storeOtp(trx, user, 'verify_email', otp)));
    return user;
  });
  if (mailed) await limits.mailed('verify_email', email);
}

/**
 * Proves the mailbox: the code mailed to it together with the password of the registration that
 * asked for it. Any failure gives the one OTP_INVALID answer (checkCode); guesses count against the
 * code and, as failures, against the account's limits.
 */
export async function verifyEmail(deps: AuthDeps, limits: AuthLimits, input: { email: string; otp: string; password: string }, meta: ClientMeta): Promise<void> {
  const email = normaliseEmail(input.email);
  const user = await findUserByEmail(deps.db, email);
  const who = { email, ip: meta.ip, known: await isKnownClient(deps.db, user?.id, meta.ip) };
  await limits.beforeGuess('verify', who);
  // A verified or disabled account has no code to prove: it answers like a wrong code.
  const usable = user && !user.is_verified && user.is_active ? user : undefined;
  const { otpId, rehash } = await checkCode(deps, usable, 'verify_email', input.otp, input.password);
  const newHash = rehash ? await hashPassword(input.password) : undefined;
  await deps.transaction(async (trx) => {
    await consumeChecked(trx, otpId);
    if (newHash) await updateUser(trx, user!.id, { password_hash: newHash });
    const verified = await markVerified(trx, user!.id);
    if (verified) await deps.outbox.add(trx, authEvents.verified(verified));
  });
  await limits.afterSuccess('verify', who);
}

/**
 * Mails a fresh code to an unverified account. The caller answers the same whether or not the
 * account exists or a mail goes out. The owner can always get a fresh code: the per-address
 * cooldown holds back a mail only while the latest code can still be used.
 */
export async function resendOtp(deps: AuthDeps, limits: AuthLimits, rawEmail: string): Promise<void> {
  const email = normaliseEmail(rawEmail);
  const otp = await prepareOtp(deps.sealer); // always: the time taken must not tell whether the account exists
  const user = await findUserByEmail(deps.db, email);
  if (!user || user.is_verified || !user.is_active) return;
  await mailCode(deps, limits, user, 'verify_email', otp);
}

/** Sends a code of that purpose unless the cooldown holds it back (see resendOtp). */
export async function mailCode(deps: AuthDeps, limits: AuthLimits, user: UserRow, purpose: 'verify_email' | 'reset_password', otp: Awaited<ReturnType<typeof prepareOtp>>): Promise<void> {
  const usable = await hasUsableCode(deps.db, user.id, purpose);
  if (usable && !(await limits.mayMail(purpose, user.email))) return;
  if (!usable) await limits.mailed(purpose, user.email);
  await deps.transaction(async (trx) => {
    const expiresAt = await storeOtp(trx, user, purpose, otp);
    await deps.outbox.add(trx, purpose === 'verify_email' ? authEvents.otpRequested(user, otp.sealed, expiresAt) : authEvents.passwordResetRequested(user, otp.sealed, expiresAt));
  });
}
