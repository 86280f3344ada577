import { Type, type Static } from 'typebox';
import { StrictObject } from '../../kernel/index.js';

// Shapes are checked loosely here (lengths) and precisely by the service after normalising
// (trim, lower-case), so " Ann@X.org" is accepted as ann@x.org and errors name the field.
export const EmailField = Type.String({ minLength: 3, maxLength: 320, description: 'Email address (trimmed, lower-cased)' });
export const UsernameField = Type.String({ minLength: 3, maxLength: 100, description: '3–100 of a-z, 0-9, _ and - (lower-cased)' });
export const PasswordField = Type.String({ minLength: 8, maxLength: 128, description: '8–128 characters with upper case, lower case and a digit' });
export const FullNameField = Type.Union([Type.String({ maxLength: 200 }), Type.Null()]);
const OtpField = Type.String({ pattern: '^[0-9]{6}$', description: 'The 6-digit code from the email' });
const ResetCodeField = Type.String({
  minLength: 10,
  maxLength: 16,
  pattern: '^[0-9A-Za-z][0-9A-Za-z -]*$',
  description: 'The reset code from the email: 10 letters and digits, shown as XXXXX-XXXXX (hyphens, spaces and case do not matter)',
});
const Time = Type.String({ format: 'date-time' });
const Id = Type.String({ format: 'uuid' });

export const RegisterBody = StrictObject({ email: EmailField, username: UsernameField, full_name: Type.Optional(FullNameField), password: PasswordField });
export type RegisterBody = Static<typeof RegisterBody>;

/** The password proves the verifier made the registration the code answers (no one else's password can be verified). */
export const VerifyEmailBody = StrictObject({ email: EmailField, otp: OtpField, password: Type.String({ minLength: 1, maxLength: 128, description: 'The password given at registration' }) });
export type VerifyEmailBody = Static<typeof VerifyEmailBody>;

export const EmailBody = StrictObject({ email: EmailField });
export type EmailBody = Static<typeof EmailBody>;

export const LoginBody = StrictObject({ email: EmailField, password: Type.String({ minLength: 1, maxLength: 128 }) });
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = StrictObject({ refresh_token: Type.String({ minLength: 1, maxLength: 200 }) });
export type RefreshBody = Static<typeof RefreshBody>;

export const ChangePasswordBody = StrictObject({ current_password: Type.String({ minLength: 1, maxLength: 128 }), new_password: PasswordField });
export type ChangePasswordBody = Static<typeof ChangePasswordBody>;

export const ResetPasswordBody = StrictObject({ email: EmailField, otp: ResetCodeField, new_password: PasswordField });
export type ResetPasswordBody = Static<typeof ResetPasswordBody>;

export const UpdateMeBody = StrictObject({ full_name: Type.Optional(FullNameField), username: Type.Optional(UsernameField) }, { minProperties: 1 });
export type UpdateMeBody = Static<typeof UpdateMeBody>;

export const SessionParams = StrictObject({ id: Id });
export type SessionParams = Static<typeof SessionParams>;

export const User = Type.Object({
  id: Id,
  email: Type.String(),
  username: Type.String(),
  full_name: Type.Union([Type.String(), Type.Null()]),
  role: Type.String({ description: 'user or admin' }),
  is_verified: Type.Boolean(),
  is_active: Type.Boolean(),
  created_at: Time,
  updated_at: Time,
}, { title: 'User' });
export type User = Static<typeof User>;

export const TokenPair = Type.Object({
  access_token: Type.String({ description: 'JWT (typ at+jwt) for the Authorization: Bearer header' }),
  refresh_token: Type.String({ description: 'Opaque, single use: each refresh returns a new one' }),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
  session_id: Id,
});
export type TokenPair = Static<typeof TokenPair>;

export const Session = Type.Object({
  id: Id,
  created_at: Time,
  last_used_at: Time,
  expires_at: Time,
  user_agent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean({ description: 'The session of the token making this request' }),
}, { title: 'Session' });
export type Session = Static<typeof Session>;

export const SessionList = Type.Object({ items: Type.Array(Session) });

export const NoContent = Type.Null({ description: 'No content' });

export const Accepted = Type.Object({ message: Type.String() });
export type Accepted = Static<typeof Accepted>;

export const Jwks = Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) });
