import { AppError, newId, type Tx } from '../../kernel/index.js';
import { authError } from './auth.errors.js';
import type { AuthDeps, ClientMeta } from './auth.deps.js';
import { isKnownClient, rememberClient } from './clients.repository.js';
import { checkPassword, hashPassword } from './passwords.js';
import { findRegistration } from './registrations.repository.js';
import type { AuthLimits } from './rate-limits.js';
import { revoke, revokeInTransaction } from './revocation.js';
import {
  insertRefreshToken,
  insertSession,
  listLiveSessions,
  lockSession,
  ownerOfRefreshToken,
  sessionsBeyond,
  touchSession,
  useRefreshToken,
  type Revoked,
  type SessionRow,
} from './sessions.repository.js';
import { hashRefreshToken, looksLikeRefreshToken, newRefreshToken, tokenPair, type TokenPair } from './tokens.js';
import { findUserByEmail, lockUser, updateUser, type UserRow } from './users.repository.js';

const invalidCredentials = () => authError('INVALID_CREDENTIALS', 'email or password is incorrect');
const emailNotVerified = () => authError('EMAIL_NOT_VERIFIED', 'verify your email address before signing in: use the code mailed to you, or ask for a new one');

/**
 * SPEC §3 login. Unknown email and wrong password take the same path (a full Argon2 verification)
 * and give the same answer; only a correct password learns that the account is unverified or
 * disabled. The password of the address's pending registration answers EMAIL_NOT_VERIFIED too,
 * whether or not the address has an account, so registering and then signing in tells nothing.
 * Wrong passwords count against the account's limits (rate-limits.ts); a sign-in forgives them and
 * makes this client a known one, exempt from the account's softer limit from then on.
 */
export async function login(deps: AuthDeps, limits: AuthLimits, email: string, password: string, meta: ClientMeta): Promise<TokenPair> {
  const user = await findUserByEmail(deps.db, email);
  const who = { email, ip: meta.ip, known: await isKnownClient(deps.db, user?.id, meta.ip) };
  await limits.beforeGuess('login', who);
  const checked = await checkPassword(user?.password_hash, password);
  if (!checked.match || !user) {
    // Checked whether or not there is a pending registration (against a dummy then), so the time
    // does not tell. Not a success for the limits: whoever registered knows that password.
    const pending = await findRegistration(deps.db, email);
    if ((await checkPassword(pending?.password_hash, password)).match) throw emailNotVerified();
    throw invalidCredentials();
  }
  await limits.afterSuccess('login', who);
  assertMaySignIn(user);
  const rehash = checked.rehash ? await hashPassword(password) : undefined;
  const pair = await deps.transaction(async (trx) => {
    // Under the user's row lock: a deactivation committed meanwhile is seen here, and one that
    // comes later finds (and revokes) this session.
    const locked = await lockUser(trx, user.id);
    // The password was checked against the hash read before the lock: if it changed meanwhile
    // (a change or reset that also revoked every session), the old password must not open a new one.
    if (!locked || locked.password_hash !== user.password_hash) throw invalidCredentials();
    assertMaySignIn(locked);
    if (rehash) await updateUser(trx, user.id, { password_hash: rehash });
    return startSession(deps, trx, locked, meta);
  });
  // After the commit, outside the user's row lock (which a password change waits for): this client
  // is known from now on, and sessions beyond the account's bound end.
  // Best effort: the session exists, so a failure here must not fail the sign-in (the next one trims).
  try {
    await rememberClient(deps.db, user.id, meta.ip);
    await endSurplusSessions(deps, user.id);
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, user_id: user.id }, 'after sign-in: could not record the client or end surplus sessions');
  }
  return pair;
}

/** Sessions per account are bounded: the least recently used beyond AUTH_SESSIONS_PER_USER end. */
async function endSurplusSessions(deps: AuthDeps, userId: string): Promise<void> {
  const surplus = await sessionsBeyond(deps.db, userId, deps.config.sessionsPerUser, deps.config.sessionIdleSeconds);
  if (surplus.length) await deps.transaction((trx) => revokeInTransaction(deps, trx, { ids: surplus, userId }, 'session_limit'));
}

function assertMaySignIn(user: UserRow): void {
  if (!user.is_verified) throw emailNotVerified();
  if (!user.is_active) throw authError('ACCOUNT_DISABLED', 'this account is disabled');
}

export async function startSession(deps: AuthDeps, trx: Tx, user: UserRow, meta: ClientMeta): Promise<TokenPair> {
  const session = await insertSession(trx, {
    id: newId(),
    user_id: user.id,
    max_seconds: deps.config.sessionMaxSeconds,
    user_agent: meta.userAgent?.slice(0, 256) ?? null,
    ip: meta.ip,
  });
  const refresh = newRefreshToken();
  await insertRefreshToken(trx, refresh.hash, session.id);
  return tokenPair(deps, user, session.id, refresh.token);
}

type RefreshOutcome = { ok: TokenPair } | { reused: Revoked[] } | { error: AppError };

/**
 * Rotates a refresh token: the presented one is used up and a new pair is issued. A token that was
 * already used means it leaked (or a client kept an old copy): the whole session is revoked.
 */
export async function refresh(deps: AuthDeps, token: string): Promise<TokenPair> {
  const invalid = new AppError('TOKEN_INVALID', 'refresh token is not valid');
  if (!looksLikeRefreshToken(token)) throw invalid;
  const hash = hashRefreshToken(token);
  const outcome = await deps.transaction(async (trx): Promise<RefreshOutcome> => {
    const owner = await ownerOfRefreshToken(trx, hash);
    if (!owner) return { error: invalid };
    // Lock order user → token → session, the order of every path that revokes (deactivate, role
    // change, delete, reset lock the user first): no deadlock between a refresh and a revocation.
    const user = await lockUser(trx, owner.user_id);
    const sessionId = await useRefreshToken(trx, hash);
    if (!sessionId) {
      return { reused: await revokeInTransaction(deps, trx, { id: owner.session_id }, 'refresh_token_reuse') };
    }
    const session = await lockSession(trx, sessionId, deps.config.sessionIdleSeconds);
    if (!session?.live) {
      return { error: session?.revoked_at ? new AppError('TOKEN_REVOKED', 'the session has ended') : new AppError('TOKEN_EXPIRED', 'the session has expired; sign in again') };
    }
    if (!user?.is_active || !user.is_verified) return { error: new AppError('TOKEN_REVOKED', 'the session has ended') };
    await touchSession(trx, session.id);
    const next = newRefreshToken();
    await insertRefreshToken(trx, next.hash, session.id);
    // The role is read now: a token issued after a role change carries the new one.
    return { ok: await tokenPair(deps, user, session.id, next.token) };
  });
  if ('ok' in outcome) return outcome.ok;
  if ('reused' in outcome) {
    deps.logger.warn({ session_id: outcome.reused[0]?.id }, 'refresh token reused: session revoked');
    throw new AppError('TOKEN_REVOKED', 'this refresh token was already used; the session has been revoked');
  }
  throw outcome.error;
}

export async function logout(deps: AuthDeps, userId: string, sessionId: string): Promise<void> {
  await revoke(deps, { id: sessionId, userId }, 'logout');
}

export function listSessions(deps: AuthDeps, userId: string): Promise<SessionRow[]> {
  return listLiveSessions(deps.db, userId, deps.config.sessionIdleSeconds);
}

/** Another user's session id answers exactly like an unknown (or already ended) one: 404. */
export async function revokeOwnSession(deps: AuthDeps, userId: string, sessionId: string): Promise<void> {
  const revoked = await revoke(deps, { id: sessionId, userId }, 'user_revoked');
  if (!revoked.length) throw new AppError('NOT_FOUND', 'no such session');
}
