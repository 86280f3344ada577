import { AppError } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { changedFields } from './account.service.js';
import { normaliseEmail, normaliseName, normaliseUsername } from './identity.js';
import { endCodes } from './otps.repository.js';
import { revoke, revokeInTransaction } from './revocation.js';
import { deleteDeadSessions, listLiveSessions, type RevokeReason, type SessionRow } from './sessions.repository.js';
import { usernameReserved } from './registrations.repository.js';
import { deleteUser, findUserById, listUsers, lockUser, updateUser, usernameTakenError, type Role, type UserFilter, type UserPatch, type UserRow } from './users.repository.js';

export { createAccount } from './account.service.js';

function notSelf(actorId: string, userId: string, action: string): void {
  // An admin locking themselves out could leave nobody able to administer the platform.
  if (actorId === userId) throw authError('CANNOT_TARGET_SELF', `admins cannot ${action} their own account`);
}

export async function getUserOr404(deps: AuthDeps, id: string): Promise<UserRow> {
  const user = await findUserById(deps.db, id);
  if (!user) throw new AppError('NOT_FOUND', 'no such user');
  return user;
}

export function searchUsers(deps: AuthDeps, filter: UserFilter): Promise<{ items: UserRow[]; total: number }> {
  return listUsers(deps.db, filter);
}

export interface AdminPatch {
  email?: string;
  username?: string;
  full_name?: string | null;
  role?: Role;
  is_verified?: boolean;
}

/**
 * Applies a change under the user's row lock and announces it. Changing the role or deactivating
 * ends every session (their tokens carry the old state); the change and the revocations commit together.
 */
/** What an admin may change (never the password: that is the user's, through change or reset). */
type AdminChange = Omit<UserPatch, 'password_hash'>;

async function change(
  deps: AuthDeps,
  id: string,
  patch: AdminChange,
  revokeReason?: (changed: AdminChange) => RevokeReason | undefined,
  /** Adds what follows from what changes (under the row lock, so it sees the row as it is). */
  follow?: (changed: AdminChange) => AdminChange,
): Promise<UserRow> {
  return deps.transaction(async (trx) => {
    const before = await lockUser(trx, id, 'update');
    if (!before) throw new AppError('NOT_FOUND', 'no such user');
    let changed = changedFields(before, patch);
    if (follow) changed = changedFields(before, { ...changed, ...follow(changed) });
    if (!Object.keys(changed).length) return before;
    if (changed.username !== undefined && (await usernameReserved(trx, changed.username, before.email))) throw usernameTakenError();
    const after = (await updateUser(trx, id, changed))!;
    // Codes mailed to the old address must not verify the new one or reset its password.
    if (changed.email !== undefined) await endCodes(trx, id);
    await deps.outbox.add(trx, authEvents.updated(after, Object.keys(changed)));
    const reason = revokeReason?.(changed);
    if (reason) await revokeInTransaction(deps, trx, { userId: id }, reason);
    return after;
  });
}

/**
 * An admin's change of an account. A new email address is unverified until its owner proves it,
 * unless the same request sets `is_verified` explicitly; an admin may not take away their own role
 * or verification (either would lock them out, and leave the platform without its admin).
 */
export function adminUpdateUser(deps: AuthDeps, actorId: string, id: string, p: AdminPatch): Promise<UserRow> {
  if (p.role !== undefined) notSelf(actorId, id, 'change the role of');
  if (p.is_verified === false) notSelf(actorId, id, 'un-verify');
  const patch: AdminChange = {
    email: p.email === undefined ? undefined : normaliseEmail(p.email),
    username: p.username === undefined ? undefined : normaliseUsername(p.username),
    full_name: p.full_name === undefined ? undefined : normaliseName(p.full_name),
    role: p.role,
    is_verified: p.is_verified,
  };
  const unverifyNewEmail = (c: AdminChange): AdminChange => {
    if (c.email === undefined || p.is_verified !== undefined) return {};
    notSelf(actorId, id, 'un-verify (changing your own email needs is_verified: true in the same request)');
    return { is_verified: false };
  };
  return change(deps, id, patch, (c) => (c.role !== undefined ? 'role_changed' : c.is_verified === false ? 'user_unverified' : undefined), unverifyNewEmail);
}

export function setActive(deps: AuthDeps, actorId: string, id: string, active: boolean): Promise<UserRow> {
  if (!active) notSelf(actorId, id, 'deactivate');
  return change(deps, id, { is_active: active }, (c) => (c.is_active === false ? 'user_deactivated' : undefined));
}

/** Deletes the account; its sessions are revoked first so their tokens stop working everywhere. */
export async function adminDeleteUser(deps: AuthDeps, actorId: string, id: string): Promise<void> {
  notSelf(actorId, id, 'delete');
  await deps.transaction(async (trx) => {
    const user = await lockUser(trx, id, 'update');
    if (!user) throw new AppError('NOT_FOUND', 'no such user');
    await revokeInTransaction(deps, trx, { userId: id }, 'user_deleted');
    await deleteUser(trx, id);
    await deps.outbox.add(trx, authEvents.deleted(user));
  });
}

export async function userSessions(deps: AuthDeps, id: string): Promise<SessionRow[]> {
  await getUserOr404(deps, id);
  return listLiveSessions(deps.db, id, deps.config.sessionIdleSeconds);
}

export async function revokeUserSessions(deps: AuthDeps, id: string): Promise<number> {
  await getUserOr404(deps, id);
  return (await revoke(deps, { userId: id }, 'admin_revoked')).length;
}

/**
 * Deletes sessions that ended (revoked, expired or idle) more than one access-token lifetime ago
 * (tokens they issued are expired by then), and used or expired one-time codes.
 */
export function cleanupSessions(deps: AuthDeps): Promise<{ sessions: number; otps: number }> {
  return deleteDeadSessions(deps.db, { idleSeconds: deps.config.sessionIdleSeconds, graceSeconds: deps.config.accessTtlSeconds + 60 });
}
