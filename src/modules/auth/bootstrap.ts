import { randomBytes } from 'node:crypto';
import { newId } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { normaliseEmail } from './identity.js';
import { checkPasswordPolicy, hashPassword } from './passwords.js';
import { findUserByEmail, insertUserIfAbsent, type UserRow } from './users.repository.js';

/** `exists`: the account with that email, which may or may not be a verified, active admin. */
export type AdminOutcome = { created: UserRow } | { exists: UserRow };

/**
 * The first admin (SPEC §3): a verified admin with this email unless the email is taken. Used at
 * start (EVENTLY_ADMIN_EMAIL/PASSWORD) and by `evently admin create`; replicas starting together
 * create one (the insert skips an existing email).
 */
export async function ensureAdmin(deps: Pick<AuthDeps, 'db' | 'transaction' | 'outbox'>, input: { email: string; password: string; username?: string }): Promise<AdminOutcome> {
  const email = normaliseEmail(input.email);
  checkPasswordPolicy(input.password);
  const hash = await hashPassword(input.password);
  const base = input.username ?? usernameFrom(email);
  for (let attempt = 0; attempt < 5; attempt++) {
    const username = attempt === 0 ? base : `${base.slice(0, 90)}-${randomBytes(3).toString('hex')}`;
    try {
      const created = await deps.transaction(async (trx) => {
        const user = await insertUserIfAbsent(trx, { id: newId(), email, username, full_name: null, password_hash: hash, role: 'admin', is_verified: true, bootstrapped: true });
        if (user) await deps.outbox.add(trx, authEvents.registered(user));
        return user;
      });
      if (created) return { created };
      const existing = await findUserByEmail(deps.db, email);
      if (existing) return { exists: existing };
      continue; // deleted between the two statements: try again
    } catch (err) {
      if (!(authError.is(err, 'USERNAME_TAKEN') && !input.username)) throw err;
    }
  }
  throw authError('USERNAME_TAKEN', 'could not find a free username for the admin');
}

/**
 * An account that already holds the admin email but is not an active, verified admin was most likely
 * registered by someone else before the first start: never treat it as the admin.
 */
export function isUsableAdmin(u: UserRow): boolean {
  return u.role === 'admin' && u.is_verified && u.is_active;
}

function usernameFrom(email: string): string {
  const local = email.split('@')[0]!.replace(/[^a-z0-9_-]/g, '').slice(0, 100);
  return local.length >= 3 ? local : `admin-${local}`.slice(0, 100);
}
