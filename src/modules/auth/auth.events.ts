import { SESSION_REVOKED, type NewEvent } from '../../kernel/index.js';
import type { RevokeReason } from './sessions.repository.js';
import type { UserRow } from './users.repository.js';

/**
 * The facts auth publishes (payload version 1, snake_case). Consumers (notifications' projection
 * and mail, every module's revocation list) depend on these shapes: change them only with a new version.
 */
export const authEvents = {
  registered: (u: UserRow): NewEvent => ({
    type: 'auth.user.registered',
    payload: { user_id: u.id, email: u.email, username: u.username, full_name: u.full_name, role: u.role, is_verified: u.is_verified },
  }),
  /** Only the fields that changed, plus the user id. */
  updated: (userId: string, changed: Partial<Pick<UserRow, 'email' | 'username' | 'full_name' | 'role' | 'is_active' | 'is_verified'>>): NewEvent => ({
    type: 'auth.user.updated',
    payload: { user_id: userId, ...changed },
  }),
  deleted: (userId: string): NewEvent => ({ type: 'auth.user.deleted', payload: { user_id: userId } }),
  verified: (u: Pick<UserRow, 'id' | 'email'>): NewEvent => ({ type: 'auth.user.verified', payload: { user_id: u.id, email: u.email } }),
  /** The code travels sealed (ctx.sealer): only a holder of EVENT_SEALING_KEY can read it. */
  otpRequested: (u: Pick<UserRow, 'id' | 'email'>, otpSealed: string, expiresAt: Date): NewEvent => ({
    type: 'auth.otp.requested',
    payload: { user_id: u.id, email: u.email, otp_sealed: otpSealed, purpose: 'verify_email', expires_at: expiresAt.toISOString() },
  }),
  passwordResetRequested: (u: Pick<UserRow, 'id' | 'email'>, otpSealed: string, expiresAt: Date): NewEvent => ({
    type: 'auth.password_reset.requested',
    payload: { user_id: u.id, email: u.email, otp_sealed: otpSealed, expires_at: expiresAt.toISOString() },
  }),
  sessionRevoked: (s: { id: string; user_id: string }, reason: RevokeReason): NewEvent => ({
    type: SESSION_REVOKED,
    payload: { session_id: s.id, user_id: s.user_id, reason },
  }),
};
