import { fileURLToPath } from 'node:url';
import { defineModule } from '../../kernel/index.js';
import { adminRoutes } from './admin.routes.js';
import { cleanupSessions } from './admin.service.js';
import type { AuthDeps } from './auth.deps.js';
import { authError } from './auth.errors.js';
import { authRoutes } from './auth.routes.js';
import { authSettings, type AuthConfig } from './auth.settings.js';
import type { DB as AuthTables } from './auth.tables.js';
import { bootstrapAdmin } from './bootstrap.js';
import { MAIL_CODE_JOB, mailCodeJob } from './code-requests.js';
import { deleteExpiredRegistrations } from './registrations.repository.js';
import { reloadRevocations, forgetSentCodes, restoreLostRevocations } from './revocation.js';
import { createAuthLimits } from './rate-limits.js';
import { forgetOldClients } from './clients.repository.js';
import { loadSigningKeys } from './signing-keys.js';

export { ensureAdmin, isUsableAdmin, type AdminOutcome } from './bootstrap.js';
export type { AuthConfig } from './auth.settings.js';
/** Argon2id with auth's parameters: the benchmark measures its baseline B7 with it. */
export { hashSecret as hashPassword } from './passwords.js';

/** Accounts, email verification, sessions, tokens and roles (SPEC §3). */
export const authModule = defineModule<AuthConfig, AuthTables>({
  name: 'auth',
  description: 'Accounts, email verification, sessions, tokens and roles',
  schema: 'auth',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  settings: authSettings,
  errors: authError.table,

  async create(ctx) {
    const keys = await loadSigningKeys(ctx.config, ctx.db, ctx.logger);
    ctx.access.keyDirectory?.publish(keys.jwks);
    const deps: AuthDeps = {
      db: ctx.db,
      transaction: ctx.transaction,
      outbox: ctx.outbox,
      jobs: ctx.jobs,
      access: ctx.access,
      config: ctx.config,
      logger: ctx.logger,
      keys,
      rateLimiter: ctx.rateLimiter,
      sealer: ctx.sealer,
    };
    await reloadRevocations(deps);
    if (ctx.config.admin) await bootstrapAdmin(deps, ctx.config.admin, ctx.logger);
    const limits = createAuthLimits(deps);
    return {
      routes(app) {
        // Tokens and account data must not be kept by a browser or a shared cache (the JWKS, public
        // by nature, sets its own).
        app.addHook('onSend', async (_request, reply, payload) => {
          if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
          return payload;
        });
        authRoutes(app, deps, limits);
        adminRoutes(app, deps);
      },
      jobs: [{ name: MAIL_CODE_JOB, handler: mailCodeJob(deps, limits) }],
      tasks: [
        { name: 'auth.revocation-list', everyMs: 2_000, run: () => restoreLostRevocations(deps) },
        // Codes leave the outbox soon after the relay published them (the hourly pass catches the rest).
        { name: 'auth.forget-sent-codes', everyMs: 10_000, run: () => forgetSentCodes(deps, { recentOnly: true }) },
        {
          name: 'auth.cleanup',
          everyMs: 3_600_000,
          singleton: true,
          run: async () => {
            await forgetSentCodes(deps, { recentOnly: false });
            ctx.logger.debug(await cleanupSessions(deps), 'ended sessions and used codes deleted');
            await forgetOldClients(deps.db);
            await deleteExpiredRegistrations(deps.db);
          },
        },
      ],
    };
  },
});
