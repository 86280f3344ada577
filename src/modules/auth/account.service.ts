import { AppError, newId } from '../../kernel/index.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { normaliseEmail, normaliseName, normaliseUsername } from './identity.js';
import { prepareOtp, storeOtp } from './otp.service.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { usernameReserved } from './registrations.repository.js';
import { findUserById, insertUser, lockUser, updateUser, usernameTakenError, type Role, type UserRow } from './users.repository.js';

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
 * An admin creates an account (self-service sign-up is registration.service): unless it is verified
 * already, a verification code is mailed. The user, the code and both events commit together.
 */
export async function createAccount(deps: AuthDeps, input: NewAccount): Promise<UserRow> {
  const email = normaliseEmail(input.email);
  const username = normaliseUsername(input.username);
  checkPasswordPolicy(input.password);
  const verified = input.is_verified ?? false;
  const [passwordHash, otp] = await Promise.all([hashPassword(input.password), verified ? undefined : prepareOtp(deps.sealer, 'verify_email')]);
  if (await usernameReserved(deps.db, username, email)) throw usernameTakenError();
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
    if (otp) await deps.outbox.add(trx, authEvents.otpRequested(user, otp.sealed, await storeOtp(trx, user.id, 'verify_email', otp)));
    return user;
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
    if (changed.username !== undefined && (await usernameReserved(trx, changed.username, before.email))) throw usernameTakenError();
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
