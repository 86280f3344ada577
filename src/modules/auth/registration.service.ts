import { newId } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps, ClientMeta } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { isKnownClient } from './clients.repository.js';
import { normaliseEmail, normaliseName, normaliseUsername } from './identity.js';
import { checkCode, consumeChecked, invalidCode, mailCode, prepareOtp, storeOtp } from './otp.service.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import type { AuthLimits } from './rate-limits.js';
import { findRegistration, putRegistration, takeRegistration, usernameReserved, type RegistrationRow } from './registrations.repository.js';
import { findUserByEmail, insertUser, markVerified, updateUser, usernameTakenError, type UserRow } from './users.repository.js';

export interface Registration {
  email: string;
  username: string;
  full_name?: string | null;
  password: string;
}

/**
 * Self-service sign-up. It never creates or changes an account: it stores a pending registration
 * (auth.registrations; the latest for an address replaces the one before) and the account is made
 * when the address is proven (verifyEmail). So it cannot take an address over, and it tells nothing
 * about the address: the answer is the same, and a pending registration is stored (reserving its
 * username, and making a sign-in with its password answer EMAIL_NOT_VERIFIED) whether or not the
 * address has an account. The mailbox hears of it: a code, or, when it has an account already, a
 * notice saying so. A username held by an account, or by another address's pending registration,
 * is refused, checked on its own, so that answer does not depend on the address either.
 */
export async function register(deps: AuthDeps, limits: AuthLimits, input: Registration): Promise<void> {
  const email = normaliseEmail(input.email);
  const username = normaliseUsername(input.username);
  checkPasswordPolicy(input.password);
  // The same slow work on every path: the time taken must not tell whether the address is known.
  const [passwordHash, otp] = await Promise.all([hashPassword(input.password), prepareOtp(deps.sealer)]);
  if (await usernameReserved(deps.db, username, email)) {
    throw usernameTakenError('this username is taken; if you registered it and have not verified yet, use the code mailed to you or ask for a new one (POST /api/v1/auth/resend-otp)');
  }
  await limits.checkAddress('register', email);
  const account = await findUserByEmail(deps.db, email);
  await deps.transaction(async (trx) => {
    const pending = await putRegistration(trx, { id: newId(), email, username, full_name: normaliseName(input.full_name), password_hash: passwordHash });
    if (account) {
      if (account.is_active) await deps.outbox.add(trx, authEvents.existingAccount(account));
      return;
    }
    const expiresAt = await storeOtp(trx, pending.id, 'verify_email', otp);
    await deps.outbox.add(trx, authEvents.otpRequested({ ...pending, version: 1 }, otp.sealed, expiresAt));
  });
  if (!account) await limits.mailed('verify_email', email);
}

/**
 * Proves the mailbox: the code mailed to it together with the password of the registration that
 * asked for it (or, for an account made unverified by an admin, the account's own code and
 * password). Any failure gives the one OTP_INVALID answer (checkCode); failures count against the
 * account's limits, and a wrong password spends none of the code's guesses.
 */
export async function verifyEmail(deps: AuthDeps, limits: AuthLimits, input: { email: string; otp: string; password: string }, meta: ClientMeta): Promise<void> {
  const email = normaliseEmail(input.email);
  const [account, pending] = await Promise.all([findUserByEmail(deps.db, email), findRegistration(deps.db, email)]);
  const who = { email, ip: meta.ip, known: await isKnownClient(deps.db, account?.id, meta.ip) };
  await limits.beforeGuess('verify', who);
  // An address with an account is verified through the account (pending registrations for it never
  // get a code); a verified or disabled account has nothing to prove and answers like a wrong code.
  const owner = account ? (account.is_verified || !account.is_active ? undefined : account) : pending;
  const { otpId, rehash } = await checkCode(deps, owner, 'verify_email', input.otp, input.password);
  if (account) await verifyAccount(deps, account, otpId, rehash ? await hashPassword(input.password) : undefined);
  else await createAccount(deps, pending!, otpId);
  await limits.afterSuccess('verify', who);
}

async function verifyAccount(deps: AuthDeps, account: UserRow, otpId: string, newHash: string | undefined): Promise<void> {
  await deps.transaction(async (trx) => {
    await consumeChecked(trx, otpId);
    if (newHash) await updateUser(trx, account.id, { password_hash: newHash });
    const verified = await markVerified(trx, account.id);
    if (verified) await deps.outbox.add(trx, authEvents.verified(verified));
  });
}

/** The proven registration becomes the account (registered, then verified: two versions, two events). */
async function createAccount(deps: AuthDeps, r: RegistrationRow, otpId: string): Promise<void> {
  await deps.transaction(async (trx) => {
    await consumeChecked(trx, otpId);
    if (!(await takeRegistration(trx, r.id))) throw invalidCode(); // replaced by a later registration meanwhile
    let user: UserRow;
    try {
      user = await insertUser(trx, { id: r.id, email: r.email, username: r.username, full_name: r.full_name, password_hash: r.password_hash, role: 'user', is_verified: false });
    } catch (err) {
      // An account took the username (a profile change) or the address (an admin) meanwhile.
      if (authError.is(err, 'USERNAME_TAKEN')) throw usernameTakenError('this username was taken meanwhile: register again with another one');
      throw err;
    }
    await deps.outbox.add(trx, authEvents.registered(user));
    await deps.outbox.add(trx, authEvents.verified((await markVerified(trx, user.id))!));
  });
}

/**
 * Mails a verification code to a pending registration or an unverified account (mailCode: the live
 * code again, or a new one). The caller answers the same whether or not anything is mailed.
 */
export async function resendOtp(deps: AuthDeps, limits: AuthLimits, rawEmail: string): Promise<void> {
  const email = normaliseEmail(rawEmail);
  const otp = await prepareOtp(deps.sealer); // always: the time taken must not tell whether the account exists
  const [account, pending] = await Promise.all([findUserByEmail(deps.db, email), findRegistration(deps.db, email)]);
  if (account) {
    if (!account.is_verified && account.is_active) await mailCode(deps, limits, { user: account }, 'verify_email', otp);
  } else if (pending) {
    await mailCode(deps, limits, { registration: pending }, 'verify_email', otp);
  }
}
