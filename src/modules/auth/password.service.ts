import { AppError } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps, ClientMeta } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { isKnownClient } from './clients.repository.js';
import { normaliseEmail } from './identity.js';
import { checkCode, consumeChecked } from './otp.service.js';
import { endCodes } from './otps.repository.js';
import { checkPassword, checkPasswordPolicy, hashPassword } from './passwords.js';
import type { AuthLimits } from './rate-limits.js';
import { revokeInTransaction } from './revocation.js';
import { findUserByEmail, lockUser, markVerified, updateUser, type UserRow } from './users.repository.js';

/**
 * A correct reset code sets the password, proves the address (so it also verifies the account),
 * ends every session (whoever knew the old password is signed out everywhere) and every other live
 * code. Failures give the one OTP_INVALID answer.
 */
export async function resetPassword(deps: AuthDeps, limits: AuthLimits, input: { email: string; otp: string; new_password: string }, meta: ClientMeta): Promise<void> {
  checkPasswordPolicy(input.new_password, 'new_password');
  const email = normaliseEmail(input.email);
  const user = await findUserByEmail(deps.db, email);
  const who = { email, ip: meta.ip, known: await isKnownClient(deps.db, user?.id, meta.ip) };
  await limits.beforeGuess('reset', who);
  const { otpId } = await checkCode(deps, user?.is_active ? user : undefined, 'reset_password', input.otp);
  const hash = await hashPassword(input.new_password);
  await deps.transaction(async (trx) => {
    await lockUser(trx, user!.id, 'update'); // first, like every revoking path (see refresh)
    await consumeChecked(trx, otpId);
    await updateUser(trx, user!.id, { password_hash: hash });
    await endCodes(trx, user!.id);
    const verified = await markVerified(trx, user!.id);
    if (verified) await deps.outbox.add(trx, authEvents.verified(verified));
    await revokeInTransaction(deps, trx, { userId: user!.id }, 'password_reset');
  });
  await limits.afterSuccess('reset', who);
}

/**
 * Keeps the session that asked; every other session of the user ends, and so does every live code
 * (a reset code mailed before must not undo the change). `user` is the caller as read by the route;
 * it is re-checked under lock. Guessing the current password with a stolen access token is guessing
 * a password: its failures count against the account's sign-in limits like a login's (from this
 * client, and from all clients unless this one signed in before).
 */
export async function changePassword(deps: AuthDeps, limits: AuthLimits, user: UserRow, sessionId: string, input: { current_password: string; new_password: string }, meta: ClientMeta): Promise<void> {
  checkPasswordPolicy(input.new_password, 'new_password');
  const who = { email: user.email, ip: meta.ip, known: await isKnownClient(deps.db, user.id, meta.ip) };
  await limits.beforeGuess('login', who);
  if (!(await checkPassword(user.password_hash, input.current_password)).match) {
    throw authError('INVALID_CURRENT_PASSWORD', 'the current password is incorrect', { details: [{ field: 'current_password', message: 'incorrect' }] });
  }
  await limits.afterSuccess('login', who);
  const hash = await hashPassword(input.new_password);
  // The new password and the end of the other sessions commit together: no crash in between can
  // leave a session opened with the old password alive.
  await deps.transaction(async (trx) => {
    const locked = await lockUser(trx, user.id, 'update');
    if (locked?.password_hash !== user.password_hash) {
      throw new AppError('CONFLICT', 'the password was changed meanwhile; sign in again');
    }
    await updateUser(trx, user.id, { password_hash: hash });
    await endCodes(trx, user.id);
    await revokeInTransaction(deps, trx, { userId: user.id, exceptId: sessionId }, 'password_changed');
  });
}
