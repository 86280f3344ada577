import { AUTH_EVENTS, type AuthEventType, type AuthPayload } from '../../contracts/auth.js';
import type { NewEvent } from '../../kernel/index.js';
import type { RevokeReason } from './sessions.repository.js';
import type { UserRow } from './users.repository.js';

/** An event of one of auth's contracts, typed by it and stamped with its payload version. */
function event<T extends AuthEventType>(type: T, payload: AuthPayload<T>): NewEvent<AuthPayload<T>> {
  return { type, version: AUTH_EVENTS[type].version, payload };
}

type UserField = AuthPayload<'auth.user.updated'>['changed'][number];
/** The user as the row stands after the change (its version included). */
function userState(u: UserRow): AuthPayload<'auth.user.registered'> {
  return {
    user_id: u.id,
    email: u.email,
    username: u.username,
    full_name: u.full_name,
    role: u.role,
    is_active: u.is_active,
    is_verified: u.is_verified,
    entity_version: u.version,
  };
}

/** The facts auth publishes; their shapes are the contracts in src/contracts/auth.ts. */
export const authEvents = {
  registered: (u: UserRow) => event('auth.user.registered', userState(u)),
  /** `after`: the row as updated; `changed`: the fields the change touched. */
  updated: (after: UserRow, changed: readonly string[]) => event('auth.user.updated', { ...userState(after), changed: changed as UserField[] }),
  verified: (u: UserRow) => event('auth.user.verified', userState(u)),
  /** `last`: the row as it was when deleted; the tombstone is one version newer. */
  deleted: (last: Pick<UserRow, 'id' | 'version'>) => event('auth.user.deleted', { user_id: last.id, entity_version: last.version + 1 }),
  /**
   * The code travels sealed (ctx.sealer): only a holder of EVENT_SEALING_KEY can read it. `u`: the
   * account, or the pending registration (its id, which the account will take, and version 1).
   */
  otpRequested: (u: Pick<UserRow, 'id' | 'email' | 'version'>, otpSealed: string, expiresAt: Date) =>
    event('auth.otp.requested', { user_id: u.id, email: u.email, otp_sealed: otpSealed, purpose: 'verify_email', expires_at: expiresAt.toISOString(), entity_version: u.version }),
  passwordResetRequested: (u: Pick<UserRow, 'id' | 'email' | 'version'>, otpSealed: string, expiresAt: Date) =>
    event('auth.password_reset.requested', { user_id: u.id, email: u.email, otp_sealed: otpSealed, expires_at: expiresAt.toISOString(), entity_version: u.version }),
  existingAccount: (u: Pick<UserRow, 'id' | 'email' | 'version'>) =>
    event('auth.registration.existing_account', { user_id: u.id, email: u.email, entity_version: u.version }),
  sessionRevoked: (s: { id: string; user_id: string; version: number }, reason: RevokeReason) =>
    event('auth.session.revoked', { session_id: s.id, user_id: s.user_id, reason, entity_version: s.version }),
};
