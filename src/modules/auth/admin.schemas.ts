import { Type, type Static } from 'typebox';
import { StrictObject } from '../../kernel/index.js';
import { EmailField, FullNameField, PasswordField, User, UsernameField } from './auth.schemas.js';

const RoleField = Type.Union([Type.Literal('user'), Type.Literal('admin')]);

export const AdminCreateUserBody = StrictObject({
  email: EmailField,
  username: UsernameField,
  full_name: Type.Optional(FullNameField),
  password: PasswordField,
  role: Type.Optional(RoleField),
  is_verified: Type.Optional(Type.Boolean({ description: 'Skip email verification (default false: a code is mailed)' })),
});
export type AdminCreateUserBody = Static<typeof AdminCreateUserBody>;

export const AdminUpdateUserBody = StrictObject({
  email: Type.Optional(EmailField),
  username: Type.Optional(UsernameField),
  full_name: Type.Optional(FullNameField),
  role: Type.Optional(RoleField),
  is_verified: Type.Optional(Type.Boolean()),
}, { minProperties: 1 });
export type AdminUpdateUserBody = Static<typeof AdminUpdateUserBody>;

export const UserParams = StrictObject({ id: Type.String({ format: 'uuid' }) });
export type UserParams = Static<typeof UserParams>;

export const UserQuery = StrictObject({
  search: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000]+$', description: 'Part of the email, username or name' })),
  role: Type.Optional(RoleField),
  is_active: Type.Optional(Type.Boolean()),
  is_verified: Type.Optional(Type.Boolean()),
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
  page_size: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
});
export type UserQuery = Static<typeof UserQuery>;

export const UserPage = Type.Object({
  items: Type.Array(User),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
});

export const Count = Type.Object({ count: Type.Integer() });
export const CleanupResult = Type.Object({ sessions: Type.Integer(), otps: Type.Integer() });
