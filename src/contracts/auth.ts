import { Type } from 'typebox';
import { EmailAddress, EntityVersion, Time, Uuid } from './common.js';
import type { EventContract, PayloadOf } from './contract.js';

/**
 * The events auth publishes (payload version 2: every event about an entity carries that entity's
 * version). Producer: the auth module; consumers: notifications (recipients, mail), every process's
 * revocation list, and later analytics.
 */
const Role = Type.Enum(['user', 'admin']);

/** A user as it is after the change the event reports. */
const UserState = {
  user_id: Uuid,
  email: EmailAddress,
  username: Type.String({ minLength: 1, maxLength: 100 }),
  full_name: Type.Union([Type.String(), Type.Null()]),
  role: Role,
  is_active: Type.Boolean(),
  is_verified: Type.Boolean(),
  entity_version: EntityVersion,
};

const UserField = Type.Enum(['email', 'username', 'full_name', 'role', 'is_active', 'is_verified']);

/** The code travels sealed (JWE with EVENT_SEALING_KEY): only auth and notifications can open it. */
const SealedOtp = Type.String({ minLength: 20, maxLength: 2000 });

export const SESSION_REVOKE_REASONS = [
  'logout', 'user_revoked', 'admin_revoked', 'refresh_token_reuse', 'password_changed', 'password_reset',
  'user_deactivated', 'user_deleted', 'role_changed', 'user_unverified', 'session_limit',
] as const;

const contract = <S extends ReturnType<typeof Type.Object>>(payload: S, upcast?: EventContract['upcast']): EventContract<S> => ({ version: 2, payload, upcast });

/**
 * Version 1 (before entity versions) as consumers may still receive it after an upgrade. A
 * registration is the row's first version, exactly; the code and revocation events' consumers do
 * not order by version, so 1 stands in; a deletion is final whatever its version, so it gets the
 * largest one. v1 `auth.user.updated` (changed fields only) and `auth.user.verified` (id and email)
 * cannot be made into a whole user: consumers skip them (README, "Upgrading").
 */
const V1_UNKNOWN_VERSION = 1;
const V1_DELETED_VERSION = 2_147_483_647;
const fromV1 = (extra: Record<string, unknown>) => ({ 1: (p: Record<string, unknown>) => ({ ...p, ...extra }) });

export const AUTH_EVENTS = {
  'auth.user.registered': contract(Type.Object(UserState), fromV1({ is_active: true, entity_version: 1 })),
  /** The whole user after the change, and which fields changed. */
  'auth.user.updated': contract(Type.Object({ ...UserState, changed: Type.Array(UserField, { minItems: 1 }) })),
  'auth.user.verified': contract(Type.Object(UserState)),
  /** entity_version: the deleted row's version plus one (a tombstone newer than anything before it). */
  'auth.user.deleted': contract(Type.Object({ user_id: Uuid, entity_version: EntityVersion }), fromV1({ entity_version: V1_DELETED_VERSION })),
  /** entity_version: the user's, when the code was issued (a later email change makes it stale). */
  'auth.otp.requested': contract(
    Type.Object({ user_id: Uuid, email: EmailAddress, otp_sealed: SealedOtp, purpose: Type.Literal('verify_email'), expires_at: Time, entity_version: EntityVersion }),
    fromV1({ entity_version: V1_UNKNOWN_VERSION }),
  ),
  'auth.password_reset.requested': contract(
    Type.Object({ user_id: Uuid, email: EmailAddress, otp_sealed: SealedOtp, expires_at: Time, entity_version: EntityVersion }),
    fromV1({ entity_version: V1_UNKNOWN_VERSION }),
  ),
  /**
   * A registration named the address of an existing account: the mailbox's owner is told (the
   * person registering is not). entity_version: the account's at the time.
   */
  'auth.registration.existing_account': contract(Type.Object({ user_id: Uuid, email: EmailAddress, entity_version: EntityVersion })),
  /** entity_version: the session's. */
  'auth.session.revoked': contract(Type.Object({
    session_id: Uuid,
    user_id: Uuid,
    reason: Type.Enum(SESSION_REVOKE_REASONS),
    entity_version: EntityVersion,
  }), fromV1({ entity_version: V1_UNKNOWN_VERSION })),
} as const;

export type AuthEventType = keyof typeof AUTH_EVENTS;
export type AuthPayload<T extends AuthEventType> = PayloadOf<(typeof AUTH_EVENTS)[T]>;
