import { AppError, newId } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { normaliseEmail, normaliseName, normaliseUsername } from './identity.js';
import { checkOtp, consumeChecked, prepareOtp, storeOtp } from './otp.service.js';
import { checkPasswordPolicy, hashSecret, verifySecret } from './passwords.js';
import { findUserByEmail, findUserById, insertUser, lockUser, markVerified, updateUser, type Role, type UserRow } from './users.repository.js';
import { revokeInTransaction } from './revocation.js';

export interface NewAccount {
  email: string;
  username: string;
  full_name?: string | null;
  password: string;
  role?: Role;
  /** Admin-created accounts may skip email verification. */
  is_verified?: boolean;
}

/**
 * Creates an account and, unless it is verified already, mails it a verification code: the user,
 * the code and both events commit together or not at all.
 */
export async function createAccount(deps: AuthDeps, input: NewAccount): Promise<UserRow> {
  const email = normaliseEmail(input.email);
  const username = normaliseUsername(input.username);
  checkPasswordPolicy(input.password);
  const verified = input.is_verified ?? false;
  const [passwordHash, otp] = await Promise.all([hashSecret(input.password), verified ? undefined : prepareOtp(deps.sealer)]);
  return deps.transaction(async (trx) => {
    const user = await insertUser(trx, {
      id: newId(),
      email,
      username,
      full_name: normaliseName(input.full_name),
      password_hash: passwordHash,
      role: input.role ?? 'user',
      is_verified: verified,
    });
    await deps.outbox.add(trx, authEvents.registered(user));
    if (otp) await deps.outbox.add(trx, authEvents.otpRequested(user, otp.sealed, await storeOtp(trx, user, 'verify_email', otp)));
    return user;
  });
}

export async function verifyEmail(deps: AuthDeps, rawEmail: string, code: string): Promise<void> {
  const user = await findUserByEmail(deps.db, normaliseEmail(rawEmail));
  // A verified account has no live code: a second try answers like a wrong code (after the same
  // Argon2 work), so this route does not tell who is verified.
  const otpId = await checkOtp(deps, user, 'verify_email', code);
  await deps.transaction(async (trx) => {
    await consumeChecked(trx, otpId);
    const verified = await markVerified(trx, user!.id);
    if (verified) await deps.outbox.add(trx, authEvents.verified(verified));
  });
}

/**
 * Mails a fresh code to an unverified account. Answers the same whether or not the account exists
 * (the caller's response does not depend on it); the cooldown applies to any address.
 */
export async function resendOtp(deps: AuthDeps, email: string): Promise<void> {
  const otp = await prepareOtp(deps.sealer); // always: the time taken must not tell whether the account exists
  const user = await findUserByEmail(deps.db, email);
  if (!user || user.is_verified || !user.is_active) return;
  await deps.transaction(async (trx) => {
    await deps.outbox.add(trx, authEvents.otpRequested(user, otp.sealed, await storeOtp(trx, user, 'verify_email', otp)));
  });
}

export async function forgotPassword(deps: AuthDeps, email: string): Promise<void> {
  const otp = await prepareOtp(deps.sealer);
  const user = await findUserByEmail(deps.db, email);
  if (!user || !user.is_active) return;
  await deps.transaction(async (trx) => {
    await deps.outbox.add(trx, authEvents.passwordResetRequested(user, otp.sealed, await storeOtp(trx, user, 'reset_password', otp)));
  });
}

/**
 * A correct reset code sets the password, proves the address (so it also verifies the account) and
 * ends every session: whoever knew the old password is signed out everywhere.
 */
export async function resetPassword(deps: AuthDeps, rawEmail: string, code: string, newPassword: string): Promise<void> {
  checkPasswordPolicy(newPassword, 'new_password');
  const user = await findUserByEmail(deps.db, normaliseEmail(rawEmail));
  const otpId = await checkOtp(deps, user?.is_active ? user : undefined, 'reset_password', code);
  const hash = await hashSecret(newPassword);
  await deps.transaction(async (trx) => {
    await lockUser(trx, user!.id, 'update'); // first, like every revoking path (see refresh)
    await consumeChecked(trx, otpId);
    await updateUser(trx, user!.id, { password_hash: hash });
    const verified = await markVerified(trx, user!.id);
    if (verified) await deps.outbox.add(trx, authEvents.verified(verified));
    await revokeInTransaction(deps, trx, { userId: user!.id }, 'password_reset');
  });
}

/** Keeps the session that asked; every other session of the user ends. */
/** `user` is the caller as read by the route (its email keys the rate limit); re-checked under lock. */
export async function changePassword(deps: AuthDeps, user: UserRow, sessionId: string, current: string, next: string): Promise<void> {
  checkPasswordPolicy(next, 'new_password');
  const userId = user.id;
  if (!(await verifySecret(user.password_hash, current))) {
    throw authError('INVALID_CURRENT_PASSWORD', 'the current password is incorrect', { details: [{ field: 'current_password', message: 'incorrect' }] });
  }
  const hash = await hashSecret(next);
  // The new password and the end of the other sessions commit together: no crash in between can
  // leave a session opened with the old password alive.
  await deps.transaction(async (trx) => {
    const locked = await lockUser(trx, userId, 'update');
    if (locked?.password_hash !== user.password_hash) {
      throw new AppError('CONFLICT', 'the password was changed meanwhile; sign in again');
    }
    await updateUser(trx, userId, { password_hash: hash });
    await revokeInTransaction(deps, trx, { userId, exceptId: sessionId }, 'password_changed');
  });
}

export async function getUser(deps: AuthDeps, userId: string): Promise<UserRow> {
  const user = await findUserById(deps.db, userId);
  if (!user) throw new AppError('NOT_FOUND', 'no such user');
  return user;
}

/** What a user may change about themselves: their name and username (email and role are admin matters). */
export async function updateProfile(deps: AuthDeps, userId: string, patch: { full_name?: string | null; username?: string }): Promise<UserRow> {
  const next = {
    full_name: patch.full_name === undefined ? undefined : normaliseName(patch.full_name),
    username: patch.username === undefined ? undefined : normaliseUsername(patch.username),
  };
  return deps.transaction(async (trx) => {
    const before = await lockUser(trx, userId, 'update');
    if (!before) throw new AppError('NOT_FOUND', 'no such user');
    const changed = changedFields(before, next);
    if (!Object.keys(changed).length) return before;
    const after = (await updateUser(trx, userId, changed))!;
    await deps.outbox.add(trx, authEvents.updated(after, Object.keys(changed)));
    return after;
  });
}

/** The entries of `next` that differ from `before` (undefined means "not given"). */
export function changedFields<T extends object>(before: T, next: Partial<T>): Partial<T> {
  return Object.fromEntries(
    Object.entries(next).filter(([k, v]) => v !== undefined && (before as Record<string, unknown>)[k] !== v),
  ) as Partial<T>;
}
