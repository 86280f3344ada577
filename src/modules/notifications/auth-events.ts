import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { EmailAddress, type DomainEvent, type Logger } from '../../kernel/index.js';

/**
 * The auth events this module consumes, as auth publishes them (payload version 1, snake_case).
 * They are checked on arrival: a payload that does not match will never match on a redelivery either.
 */
const Uuid = Type.String({ format: 'uuid' });
const Email = EmailAddress;
/** The code, sealed by auth with EVENT_SEALING_KEY (JWE compact); opened only when the mail is rendered. */
const SealedOtp = Type.String({ minLength: 20, maxLength: 2000 });
const Time = Type.String({ format: 'date-time' });

export const AUTH_EVENTS = {
  'auth.user.registered': Type.Object({ user_id: Uuid, email: Email, username: Type.String(), full_name: Type.Union([Type.String(), Type.Null()]) }),
  'auth.user.updated': Type.Object({
    user_id: Uuid,
    email: Type.Optional(Email),
    full_name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    role: Type.Optional(Type.String()),
    is_active: Type.Optional(Type.Boolean()),
  }),
  'auth.user.deleted': Type.Object({ user_id: Uuid }),
  'auth.otp.requested': Type.Object({ user_id: Uuid, email: Email, otp_sealed: SealedOtp, purpose: Type.Literal('verify_email'), expires_at: Time }),
  'auth.user.verified': Type.Object({ user_id: Uuid, email: Email }),
  'auth.password_reset.requested': Type.Object({ user_id: Uuid, email: Email, otp_sealed: SealedOtp, expires_at: Time }),
} satisfies Record<string, TSchema>;

export type AuthEventType = keyof typeof AUTH_EVENTS;
export type AuthPayload<T extends AuthEventType> = Static<(typeof AUTH_EVENTS)[T]>;

/**
 * The event's payload when it is of type `type` and well-formed, else undefined (logged). The
 * consumer then applies nothing: throwing would only make the bus redeliver it forever.
 */
export function payloadOf<T extends AuthEventType>(event: DomainEvent, type: T, logger: Logger): AuthPayload<T> | undefined {
  if (event.type !== type) return undefined;
  if (event.version === 1 && Value.Check(AUTH_EVENTS[type], event.payload)) return event.payload as AuthPayload<T>;
  logger.error({ event_id: event.id, type: event.type, version: event.version }, 'malformed or unknown version of an auth event: ignored');
  return undefined;
}
