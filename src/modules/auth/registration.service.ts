import { newId } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps, ClientMeta } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { isKnownClient } from './clients.repository.js';
import { normaliseEmail, normaliseName, normaliseUsername } from './identity.js';
import { checkCode, consumeChecked, invalidCode, prepareOtp, storeOtp } from './otp.service.js';
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
  const [passwordHash, otp] = await Promise.all([hashPassword(input.password), prepareOtp(deps.sealer, 'verify_email')]);
  if (await usernameReserved(deps.db, username, email)) {
    throw usernameTakenError('this username is taken; if you registered it and have not verified yet, use the code mailed to you or ask for a new one (POST /api/v1/auth/resend-otp)');
  }
  await limits.checkAddress('register', email);
  const account = await findUserByEmail(deps.db, email);
  // The same statements whether or not the address has an account: the time must not tell either.
  // (The pending registration of an address with an account gets a code too, never mailed: it
  // cannot be verified, as the account exists, but its checks cost what the others cost.)
  await deps.transaction(async (trx) => {
    const pending = await putRegistration(trx, { id: newId(), email, username, full_name: normaliseName(input.full_name), password_hash: passwordHash });
    const expiresAt = await storeOtp(trx, pending.id, 'verify_email', otp);
    await deps.outbox.add(trx, account ? authEvents.existingAccount(account) : authEvents.otpRequested({ ...pending, version: 1 }, otp.sealed, expiresAt));
  });
  await limits.mailed('verify_email', email);
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
  // An account waiting for verification (an admin made it, or changed its email) proves its own code
  // and password. Otherwise the pending registration does, whether or not the address has an
  // account (so both cost the same); that of an address with an account was never mailed its code,
  // and could not become an account anyway.
  const waiting = account && !account.is_verified && account.is_active ? account : undefined;
  const { otpId, rehash } = await checkCode(deps, waiting ?? pending, 'verify_email', input.otp, input.password);
  if (waiting) await verifyAccount(deps, waiting, otpId, rehash ? await hashPassword(input.password) : undefined);
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
      // An account took the username meanwhile; or the address has an account (which the answer
      // must not tell: it reads like any failed code).
      if (authError.is(err, 'USERNAME_TAKEN')) throw usernameTakenError('this username was taken meanwhile: register again with another one');
      if (authError.is(err, 'EMAIL_TAKEN')) throw invalidCode();
      throw err;
    }
    await deps.outbox.add(trx, authEvents.registered(user));
    await deps.outbox.add(trx, authEvents.verified((await markVerified(trx, user.id))!));
  });
}
