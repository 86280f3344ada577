import { AppError, rateLimitHeaders, type RateLimitRule } from '../../kernel/index.js';
import type { AuthRateLimitName } from './auth.settings.js';
import type { AuthDeps } from './auth.deps.js';
import { emailKey } from './identity.js';

/**
 * Guessing credentials (a password, a one-time code) must stay bounded even while the limit store is
 * down, so those limits refuse then; the others let requests through rather than take sign-up down.
 */
const FAIL_CLOSED: ReadonlySet<AuthRateLimitName> = new Set(['login', 'verify', 'reset']);

export type CooldownKind = 'verify_email' | 'reset_password';

export interface AuthLimits {
  /** Counts one request against the endpoint's IP limit, then its email limit; throws 429 when over. */
  check(name: AuthRateLimitName, keys: { ip: string; email?: string }): Promise<void>;
  /** One code mail per address per AUTH_OTP_RESEND_COOLDOWN_S, known account or not (no enumeration). */
  cooldown(kind: CooldownKind, email: string): Promise<void>;
  /** Clears an email's login failures after a successful login. */
  forgiveLogin(email: string): Promise<void>;
}

export function createAuthLimits(deps: AuthDeps): AuthLimits {
  const { rateLimiter, config, logger } = deps;
  const rule = (name: string, points: number, windowMs: number): RateLimitRule => ({ name: `auth:${name}`, points, windowMs });

  async function hit(r: RateLimitRule, key: string, failClosed: boolean): Promise<void> {
    let decision;
    try {
      decision = await rateLimiter.hit(r, key);
    } catch (err) {
      logger.warn({ rule: r.name, err: (err as Error).message }, failClosed ? 'rate limit store unavailable: refusing' : 'rate limit store unavailable: allowing');
      if (failClosed) throw new AppError('SERVICE_UNAVAILABLE', 'temporarily unavailable; try again shortly', { headers: { 'Retry-After': '5' } });
      return;
    }
    if (!decision.allowed) throw new AppError('RATE_LIMITED', 'too many requests; try again later', { headers: rateLimitHeaders(decision) });
  }

  return {
    async check(name, keys) {
      const limits = config.rateLimits[name];
      if (!limits) return;
      const failClosed = FAIL_CLOSED.has(name);
      if (limits.ip) await hit(rule(`${name}:ip`, limits.ip.points, limits.ip.windowMs), keys.ip, failClosed);
      if (limits.email && keys.email) await hit(rule(`${name}:email`, limits.email.points, limits.email.windowMs), emailKey(keys.email), failClosed);
    },
    async cooldown(kind, email) {
      const seconds = config.otpResendCooldownSeconds;
      if (seconds > 0) await hit(rule(`cooldown:${kind}`, 1, seconds * 1000), emailKey(email), false);
    },
    async forgiveLogin(email) {
      const limits = config.rateLimits.login?.email;
      if (!limits) return;
      await rateLimiter.reset(rule('login:email', limits.points, limits.windowMs), emailKey(email)).catch(() => undefined);
    },
  };
}
