import { fileURLToPath } from 'node:url';
import type { ModuleContext, ModuleDefinition } from '../../kernel/index.js';
import { adminRoutes } from './admin.routes.js';
import { cleanupSessions } from './admin.service.js';
import type { AuthDeps } from './auth.deps.js';
import { authRoutes } from './auth.routes.js';
import { ensureAdmin, isUsableAdmin } from './bootstrap.js';
import { reloadRevocations, forgetSentCodes } from './revocation.js';
import { createAuthLimits } from './rate-limits.js';
import { loadSigningKeys } from './signing-keys.js';

export { ensureAdmin, isUsableAdmin, type AdminOutcome } from './bootstrap.js';
/** Argon2id with auth's parameters: the benchmark measures its baseline B7 with it. */
export { hashSecret as hashPassword } from './passwords.js';

/** Ended sessions and used codes are deleted this often (and on demand by an admin). */
const CLEANUP_EVERY_MS = 3_600_000;
/** Codes leave the outbox this soon after the relay published them. */
const FORGET_CODES_EVERY_MS = 10_000;

// One module definition serves every Evently built in this process (tests build several), so the
// state made at init is kept per context.
const states = new WeakMap<ModuleContext, AuthDeps>();
const depsOf = (ctx: ModuleContext): AuthDeps => {
  const deps = states.get(ctx);
  if (!deps) throw new Error('auth: init did not run for this context');
  return deps;
};

/** Accounts, email verification, sessions, tokens and roles (SPEC §3). */
export const authModule: ModuleDefinition = {
  name: 'auth',
  description: 'Accounts, email verification, sessions, tokens and roles',
  schema: 'auth',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),

  async init(ctx) {
    const keys = await loadSigningKeys(ctx.config.auth, ctx.db, ctx.logger);
    ctx.access.keyDirectory?.publish(keys.jwks);
    const deps: AuthDeps = {
      db: ctx.db,
      transaction: ctx.transaction,
      outbox: ctx.outbox,
      access: ctx.access,
      config: ctx.config.auth,
      logger: ctx.logger,
      keys,
      rateLimiter: ctx.rateLimiter,
      sealer: ctx.sealer,
    };
    states.set(ctx, deps);
    await reloadRevocations(deps);
    const admin = ctx.config.auth.admin;
    if (admin) {
      const outcome = await ensureAdmin(deps, admin);
      if ('exists' in outcome && !isUsableAdmin(outcome.exists)) {
        throw new Error(`EVENTLY_ADMIN_EMAIL ${outcome.exists.email} belongs to an existing account that is not an active, verified admin; refusing to start (promote it deliberately, or choose another email)`);
      }
      ctx.logger.info({ admin_email: admin.email }, 'created' in outcome ? 'admin account created' : 'admin account already exists');
    }
  },

  http(app, ctx) {
    const deps = depsOf(ctx);
    authRoutes(app, deps, createAuthLimits(deps));
    adminRoutes(app, deps);
  },

  scheduler(ctx) {
    const deps = depsOf(ctx);
    const timer = setInterval(() => {
      forgetSentCodes(deps, { recentOnly: false }).catch(() => undefined);
      cleanupSessions(deps).then(
        (n) => ctx.logger.debug(n, 'ended sessions and used codes deleted'),
        (err: Error) => ctx.logger.warn({ err: err.message }, 'session cleanup failed; retried next hour'),
      );
    }, CLEANUP_EVERY_MS);
    const forget = setInterval(() => {
      forgetSentCodes(deps, { recentOnly: true }).catch((err: Error) => ctx.logger.warn({ err: err.message }, 'could not erase published codes; retried shortly'));
    }, FORGET_CODES_EVERY_MS);
    timer.unref();
    forget.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        clearInterval(forget);
      },
    };
  },
};
