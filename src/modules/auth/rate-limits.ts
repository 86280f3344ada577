import { AppError, rateLimitHeaders, type RateLimitRule } from '../../kernel/index.js';
import type { AuthRateKey, AuthRateLimitName } from './auth.settings.js';
import type { AuthDeps } from './auth.deps.js';
import { clientKey, emailKey } from './identity.js';

/**
 * Guessing credentials (a password, a one-time code) must stay bounded even while the limit store is
 * down, so those limits refuse then; the others let requests through rather than take sign-up down.
 */
const FAIL_CLOSED: ReadonlySet<AuthRateLimitName> = new Set(['login', 'verify', 'reset']);

export type CooldownKind = 'verify_email' | 'reset_password';
export type GuessName = 'login' | 'verify' | 'reset';

/** Who is guessing: the account named and the client asking; `known`: this client signed in to it before. */
export interface Guesser {
  email: string;
  ip: string;
  known: boolean;
}

/**
 * Limits that stop guessing without letting strangers lock an owner out: every request counts
 * against its client (`ip`), but an account's limits count failures only: a guess takes a token
 * before it is checked (so parallel guesses cannot overrun the limit) and a correct one gives them
 * back. `account_ip` is the hard limit of one client on one account; `account` is the softer limit
 * of all clients together, which a client that signed in to the account before does not spend.
 */
export interface AuthLimits {
  /** Counts a request against its client's limit for the endpoint; throws 429 when over. */
  check(name: AuthRateLimitName, ip: string): Promise<void>;
  /** Counts a registration against its address (each mails it); throws 429 when over. */
  checkAddress(name: 'register', email: string): Promise<void>;
  /** Takes a guess's tokens from the account's limits before it is checked; throws 429 when over. */
  beforeGuess(name: GuessName, who: Guesser): Promise<void>;
  /** A correct guess: the account's failures from this client (and, for its owner, from all) are forgiven. */
  afterSuccess(name: GuessName, who: Guesser): Promise<void>;
  /**
   * One code mail per address per AUTH_OTP_RESEND_COOLDOWN_S: true when this one may go out. It
   * decides the mail, never the answer, which is the same whether or not a mail is sent.
   */
  mayMail(kind: CooldownKind, email: string): Promise<boolean>;
  /** Starts the cooldown after a mail sent by another path (registration). */
  mailed(kind: CooldownKind, email: string): Promise<void>;
}

export function createAuthLimits(deps: AuthDeps): AuthLimits {
  const { rateLimiter, config, logger } = deps;
  const ruleOf = (name: AuthRateLimitName, key: AuthRateKey): RateLimitRule | undefined => {
    const spec = config.rateLimits[name]?.[key];
    return spec ? { name: `auth:${name}:${key}`, points: spec.points, windowMs: spec.windowMs } : undefined;
  };
  const cooldownRule = (kind: CooldownKind): RateLimitRule | undefined =>
    config.otpResendCooldownSeconds > 0 ? { name: `auth:cooldown:${kind}`, points: 1, windowMs: config.otpResendCooldownSeconds * 1000 } : undefined;
  const keyOf = (key: AuthRateKey, who: { email: string; ip: string }) =>
    key === 'account' ? emailKey(who.email) : `${emailKey(who.email)}:${clientKey(who.ip)}`;

  async function hit(r: RateLimitRule, key: string, failClosed: boolean): Promise<void> {
    let decision;
    try {
      decision = await rateLimiter.hit(r, key);
    } catch (err) {
      logger.warn({ rule: r.name, err: (err as Error).message }, failClosed ? 'rate limit store unavailable: refusing' : 'rate limit store unavailable: allowing');
      if (failClosed) throw new AppError('SERVICE_UNAVAILABLE', 'temporarily unavailable; try again shortly', { headers: { 'retry-after': '5' } });
      return;
    }
    if (!decision.allowed) throw new AppError('RATE_LIMITED', 'too many requests; try again later', { headers: rateLimitHeaders(decision) });
  }

  const accountKeys = (who: Guesser): AuthRateKey[] => (who.known ? ['account_ip'] : ['account_ip', 'account']);

  return {
    async check(name, ip) {
      const r = ruleOf(name, 'ip');
      if (r) await hit(r, clientKey(ip), FAIL_CLOSED.has(name));
    },
    async checkAddress(name, email) {
      const r = ruleOf(name, 'account');
      if (r) await hit(r, emailKey(email), false);
    },
    async beforeGuess(name, who) {
      for (const key of accountKeys(who)) {
        const r = ruleOf(name, key);
        if (r) await hit(r, keyOf(key, who), true);
      }
    },
    async afterSuccess(name, who) {
      // The owner proved who they are: the strangers' failures on the account are forgiven too.
      for (const key of ['account_ip', 'account'] as const) {
        const r = ruleOf(name, key);
        if (r) await rateLimiter.reset(r, keyOf(key, who)).catch(() => undefined);
      }
    },
    async mayMail(kind, email) {
      const r = cooldownRule(kind);
      if (!r) return true;
      try {
        return (await rateLimiter.hit(r, emailKey(email))).allowed;
      } catch (err) {
        logger.warn({ rule: r.name, err: (err as Error).message }, 'rate limit store unavailable: mailing');
        return true;
      }
    },
    async mailed(kind, email) {
      const r = cooldownRule(kind);
      if (r) await rateLimiter.hit(r, emailKey(email)).catch(() => undefined);
    },
  };
}
