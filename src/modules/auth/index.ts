import type { ModuleDefinition } from '../../kernel/index.js';

/** Accounts, OTP verification, sessions and tokens (SPEC §3). Filled in by the auth issue. */
export const authModule: ModuleDefinition = {
  name: 'auth',
  description: 'Accounts, email verification, sessions, tokens and roles',
  schema: 'auth',
  migrationsDir: null,
};
