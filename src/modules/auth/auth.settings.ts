import { bool, formatRates, int, optional, parseRate, rates, str, type ModuleSettings, type PlatformConfig, type ParsedSettings, type RateSpec } from '../../kernel/index.js';

export type AuthRateLimitName = 'login' | 'register' | 'verify' | 'resend' | 'forgot' | 'reset';
/** What a limit counts by: every request of a client, or failures of an account (from one client, or all). */
export type AuthRateKey = 'ip' | 'account_ip' | 'account';

/** What the auth module is configured with: its own settings and the platform's token settings. */
export interface AuthConfig {
  /** PEM of the signing key; undefined: a development key kept in the database. */
  signingKeyPem: string | undefined;
  previousKeyPem: string | undefined;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
  otpResendCooldownSeconds: number;
  /** Per endpoint, per key kind; null: that limit is off. Empty when rate limits are off. */
  rateLimits: Partial<Record<AuthRateLimitName, Partial<Record<AuthRateKey, RateSpec | null>>>>;
  sessionsPerUser: number;
  admin: { email: string; password: string } | undefined;
}

function authRates<const N extends string>(names: readonly N[], defaults: Record<N, string>, doc: string) {
  const parsed = Object.fromEntries(Object.entries(defaults).map(([k, v]) => [k, parseRate(v as string)])) as Record<N, RateSpec | null>;
  return rates(names, {
    default: parsed,
    defaultDoc: `\`${formatRates(parsed)}\``,
    doc: `${doc} Format \`${names.map((n) => `${n}=N/window`).join(',')}\` (window in s, m or h; \`off\` disables one): a token bucket of N, refilled one every window/N.`,
  });
}

export const AUTH_SETTINGS = {
  AUTH_SIGNING_KEY: optional(str({
    secret: true,
    defaultDoc: 'generated once and kept in the database (development only)',
    doc: 'PKCS#8 PEM private key (Ed25519 → EdDSA, or P-256 → ES256) that signs access tokens. Required in production. `\\n` escapes are accepted.',
  })),
  AUTH_PREVIOUS_SIGNING_KEY: optional(str({
    secret: true,
    defaultDoc: 'none',
    doc: 'After a rotation, the previous key (private or public PEM): its tokens keep verifying until they expire. Remove it once AUTH_ACCESS_TOKEN_TTL_S has passed.',
  })),
  AUTH_SESSION_IDLE_TIMEOUT_S: int({ min: 60, default: 7 * 24 * 3600, doc: 'A session not refreshed for this long ends (seconds).' }),
  AUTH_SESSION_MAX_LIFETIME_S: int({ min: 60, default: 30 * 24 * 3600, doc: 'A session ends this long after its login, however active (seconds).' }),
  AUTH_OTP_RESEND_COOLDOWN_S: int({ min: 0, max: 3600, default: 60, doc: 'Minimum time between two code mails to one address (per purpose). While the latest code can still be used, resend-otp and forgot-password mail it again rather than replace it.' }),
  AUTH_RATE_LIMITS: bool({ default: true, doc: 'Apply the AUTH_RATE_* limits. Turn off only behind a gateway that limits these routes itself.' }),
  AUTH_RATE_LOGIN: authRates(['ip', 'account_ip', 'account'], { ip: '30/1m', account_ip: '5/15m', account: '100/1h' }, 'Sign-ins: every attempt per client (`ip`); wrong passwords per account and client (`account_ip`, the hard limit) and per account from all clients (`account`, softer; a client that signed in to the account before is exempt). Refused while the limit store is down.'),
  AUTH_RATE_REGISTER: authRates(['ip', 'account'], { ip: '20/1h', account: '5/1h' }, 'Registrations per client (`ip`) and per address (`account`: each one mails the address).'),
  AUTH_RATE_VERIFY: authRates(['ip', 'account_ip', 'account'], { ip: '30/15m', account_ip: '10/15m', account: '100/1h' }, 'Email verification: attempts per client, wrong codes per account and client, and per account (refused while the limit store is down).'),
  AUTH_RATE_RESEND: authRates(['ip'], { ip: '10/1h' }, 'Verification code requests per client (the mail itself is limited by AUTH_OTP_RESEND_COOLDOWN_S).'),
  AUTH_RATE_FORGOT: authRates(['ip'], { ip: '10/1h' }, 'Password reset requests per client (the mail itself is limited by AUTH_OTP_RESEND_COOLDOWN_S).'),
  AUTH_RATE_RESET: authRates(['ip', 'account_ip', 'account'], { ip: '30/15m', account_ip: '10/15m', account: '100/1h' }, 'Password resets with a code: attempts per client, wrong codes per account and client, and per account (refused while the limit store is down).'),
  AUTH_SESSIONS_PER_USER: int({ min: 1, max: 1_000, default: 20, doc: 'Live sessions one account may have; signing in once more ends the least recently used.' }),
  EVENTLY_ADMIN_EMAIL: optional(str({
    pattern: /^[^\s@]+@[^\s@]+$/,
    defaultDoc: 'none',
    doc: 'With EVENTLY_ADMIN_PASSWORD: the first start on a database without an admin creates a verified admin with this email (or adopts an active, verified admin that has it; an account with it that is not one stops the start). Applied once: once the database has had an admin, starts create, change and refuse nothing, and only warn when the email does not name an active, verified admin. There are no default credentials.',
  })),
  EVENTLY_ADMIN_PASSWORD: optional(str({
    secret: true,
    defaultDoc: 'none',
    doc: 'Password of the EVENTLY_ADMIN_EMAIL admin (8–128 characters with upper case, lower case and a digit).',
  })),
} as const;

type AuthSettings = ParsedSettings<typeof AUTH_SETTINGS>;

/** A PEM given in one line (`\n` escapes, as env files and some platforms force) works too. */
function pem(raw: string | undefined): string | undefined {
  return raw?.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
}

export const authSettings: ModuleSettings<AuthConfig> = {
  table: AUTH_SETTINGS,
  slice(raw, platform: PlatformConfig): AuthConfig {
    const s = raw as AuthSettings;
    return {
      signingKeyPem: pem(s.AUTH_SIGNING_KEY),
      previousKeyPem: pem(s.AUTH_PREVIOUS_SIGNING_KEY),
      issuer: platform.tokens.issuer,
      audience: platform.tokens.audience,
      accessTtlSeconds: platform.tokens.accessTtlSeconds,
      sessionIdleSeconds: s.AUTH_SESSION_IDLE_TIMEOUT_S,
      sessionMaxSeconds: s.AUTH_SESSION_MAX_LIFETIME_S,
      otpResendCooldownSeconds: s.AUTH_OTP_RESEND_COOLDOWN_S,
      sessionsPerUser: s.AUTH_SESSIONS_PER_USER,
      rateLimits: s.AUTH_RATE_LIMITS
        ? { login: s.AUTH_RATE_LOGIN, register: s.AUTH_RATE_REGISTER, verify: s.AUTH_RATE_VERIFY, resend: s.AUTH_RATE_RESEND, forgot: s.AUTH_RATE_FORGOT, reset: s.AUTH_RATE_RESET }
        : {},
      admin: s.EVENTLY_ADMIN_EMAIL && s.EVENTLY_ADMIN_PASSWORD ? { email: s.EVENTLY_ADMIN_EMAIL, password: s.EVENTLY_ADMIN_PASSWORD } : undefined,
    };
  },
  check(c, platform, raw) {
    const problems: string[] = [];
    const s = raw as AuthSettings;
    if (Boolean(s.EVENTLY_ADMIN_EMAIL) !== Boolean(s.EVENTLY_ADMIN_PASSWORD)) {
      problems.push('EVENTLY_ADMIN_EMAIL and EVENTLY_ADMIN_PASSWORD (or EVENTLY_ADMIN_PASSWORD_FILE) go together: set both or neither');
    }
    if (c.sessionIdleSeconds > c.sessionMaxSeconds) problems.push('AUTH_SESSION_IDLE_TIMEOUT_S must not exceed AUTH_SESSION_MAX_LIFETIME_S');
    // A generated key would live in the database next to the data it protects.
    if (platform.env === 'production' && !c.signingKeyPem) problems.push('AUTH_SIGNING_KEY (or AUTH_SIGNING_KEY_FILE) is required in production to run the auth module');
    return problems;
  },
};
