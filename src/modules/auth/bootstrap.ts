import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { newId, type Logger } from '../../kernel/index.js';
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
        const user = await insertUserIfAbsent(trx, { id: newId(), email, username, full_name: null, password_hash: hash, role: 'admin', is_verified: true });
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

/**
 * EVENTLY_ADMIN_* at start, applied once per database (auth.admin_bootstrap records it; a database
 * that has an admin already, made by `evently admin create` say, counts as done too). The first
 * time it creates the admin, or adopts an active, verified admin with that email; an account with
 * the email that is not one may be a squatter's, so the start stops. Once applied, the admin
 * accounts are the admins' business: a later start creates, changes and refuses nothing (a deleted,
 * demoted or renamed first admin stays so), and only warns when the email no longer names an active,
 * verified admin.
 */
export async function bootstrapAdmin(deps: Pick<AuthDeps, 'db' | 'transaction' | 'outbox'>, admin: { email: string; password: string }, logger: Logger): Promise<void> {
  const email = normaliseEmail(admin.email);
  const { rows: [done] } = await sql<{ done_at: Date | null }>`
    select (select done_at from auth.admin_bootstrap) as done_at
    where exists (select 1 from auth.admin_bootstrap) or exists (select 1 from auth.users where role = 'admin')`.execute(deps.db);
  if (done) {
    const account = await findUserByEmail(deps.db, email);
    if (!account || !isUsableAdmin(account)) {
      logger.warn({ admin_email: email, applied_at: done.done_at }, 'EVENTLY_ADMIN_EMAIL does not name an active, verified admin, and this database has had its first admin already, so nothing is done (unset EVENTLY_ADMIN_* to silence this)');
    }
    return;
  }
  const outcome = await ensureAdmin(deps, admin);
  if ('exists' in outcome && !isUsableAdmin(outcome.exists)) {
    throw new Error(`EVENTLY_ADMIN_EMAIL ${email} belongs to an account that is not an active, verified admin; refusing to start (promote it deliberately, or choose another email)`);
  }
  await sql`insert into auth.admin_bootstrap (email) values (${email}) on conflict do nothing`.execute(deps.db);
  logger.info({ admin_email: email }, 'created' in outcome ? 'admin account created' : 'admin account already exists');
}
