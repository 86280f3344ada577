import type { Kysely } from 'kysely';
import type { Access, JobQueue, Logger, Outbox, RateLimiter, Sealer, Transact } from '../../kernel/index.js';
import type { AuthConfig } from './auth.settings.js';
import type { DB as AuthTables } from './auth.tables.js';
import type { SigningKeys } from './signing-keys.js';

/** What the auth services need, built once per process in the module's init. */
export interface AuthDeps {
  db: Kysely<AuthTables>;
  transaction: Transact<AuthTables>;
  outbox: Outbox;
  jobs: JobQueue;
  access: Access;
  config: AuthConfig;
  logger: Logger;
  keys: SigningKeys;
  rateLimiter: RateLimiter;
  sealer: Sealer;
}

/** Who is asking, for the session record and rate limits. */
export interface ClientMeta {
  ip: string;
  userAgent: string | null;
}
