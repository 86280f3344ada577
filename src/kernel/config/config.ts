import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { hostname } from 'node:os';
import { parse as parseDotenv } from 'dotenv';
import { SETTINGS, MODULE_NAMES, ROLE_NAMES, type ModuleName, type RoleName } from './schema.js';
import { SettingError, type ParsedSettings, type RateSpec } from './settings.js';

export type Settings = ParsedSettings<typeof SETTINGS>;

export interface Config {
  env: 'development' | 'production' | 'test';
  modules: readonly ModuleName[];
  roles: readonly RoleName[];
  /** True when this process runs every module: the only mode allowed without Redis. */
  allInOne: boolean;
  http: {
    host: string;
    port: number;
    bodyLimit: number;
    corsOrigins: readonly string[];
    trustProxy: boolean | number | string[];
    docs: boolean;
  };
  database: {
    url: string | undefined;
    poolMax: number;
    acquireTimeoutMs: number;
    lockTimeoutMs: number;
    statementTimeoutMs: number;
    dataDir: string;
    migrateOnStart: boolean;
  };
  redis: { url: string | undefined; prefix: string };
  log: { level: string };
  shutdownTimeoutMs: number;
  readinessTimeoutMs: number;
  outbox: { pollMs: number };
  bus: { claimIdleMs: number; maxAttempts: number; instanceId: string };
  jobs: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  mail: { smtpUrl: string | undefined; from: string; devMailbox: boolean };
  auth: AuthConfig;
  /** Every parsed setting, for modules that read their own (secrets included: never log this). */
  settings: Readonly<Settings>;
}

export type AuthRateLimitName = 'login' | 'register' | 'verify' | 'resend' | 'forgot' | 'reset';

export interface AuthConfig {
  /** PEM of the signing key; undefined: a development key kept in the database. */
  signingKeyPem: string | undefined;
  previousKeyPem: string | undefined;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  sessionIdleSeconds: number;
  sessionMaxSeconds: number;
  /** Where a process without the auth module fetches verification keys. */
  jwksUrl: string;
  otpResendCooldownSeconds: number;
  /** Per endpoint, per key kind (ip, email); null: that limit is off. Empty when rate limits are off. */
  rateLimits: Partial<Record<AuthRateLimitName, Partial<Record<'ip' | 'email', RateSpec | null>>>>;
  admin: { email: string; password: string } | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Split mode: the seed's ports; notifications has no API, its port serves health and metrics. */
export const MODULE_PORTS: Record<ModuleName, number> = {
  auth: 35000,
  events: 35001,
  bookings: 35002,
  analytics: 35003,
  notifications: 35004,
};

const PLACEHOLDER_SECRETS = /^(|changeme|change-me|secret|password|postgres|admin|example|test|default|xxx+)$/i;

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** The `.env` file; `false` to ignore. Default: `.env` in the working directory. */
  envFile?: string | false;
  /** Values that win over everything else (command-line flags). */
  overrides?: Record<string, string | undefined>;
}

/**
 * Reads settings from (highest first) overrides, the environment, `NAME_FILE` files, and `.env`.
 * Any invalid value stops the start with a message naming the setting.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const envFile = options.envFile === undefined ? path.resolve('.env') : options.envFile;
  const dotenv = envFile && existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const problems: string[] = [];
  const out: Record<string, unknown> = {};

  for (const [name, def] of Object.entries(SETTINGS)) {
    let raw: string | undefined;
    try {
      raw = rawValue(name, options.overrides ?? {}, env, dotenv);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    if (raw === undefined || raw === '') {
      out[name] = 'default' in def ? def.default : undefined;
      continue;
    }
    try {
      out[name] = def.parse(raw);
    } catch (e) {
      if (!(e instanceof SettingError)) throw e;
      // A secret's value never appears in the message.
      const shown = def.secret ? '' : ` (got ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)})`;
      problems.push(`${name} ${e.message}${shown}`);
    }
  }
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  const config = toConfig(out as Settings);
  const rules = checkRules(config);
  if (rules.length) throw new ConfigError(`Invalid configuration:\n  - ${rules.join('\n  - ')}`);
  return deepFreeze(config);
}

function rawValue(
  name: string,
  overrides: Record<string, string | undefined>,
  env: NodeJS.ProcessEnv,
  dotenv: Record<string, string>,
): string | undefined {
  if (overrides[name] !== undefined) return overrides[name];
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== '' && file) throw new Error(`set either ${name} or ${name}_FILE, not both`);
  if (direct !== undefined && direct !== '') return direct;
  if (file) return readSecretFile(`${name}_FILE`, file);
  if (dotenv[name] !== undefined) return dotenv[name];
  if (dotenv[`${name}_FILE`]) return readSecretFile(`${name}_FILE`, dotenv[`${name}_FILE`]!);
  return undefined;
}

function readSecretFile(setting: string, file: string): string {
  try {
    // Docker/Kubernetes secrets end with a newline that is not part of the value.
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (e) {
    throw new Error(`cannot read ${setting} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function toConfig(s: Settings): Config {
  const modules = MODULE_NAMES.filter((m) => s.EVENTLY_MODULES.includes(m));
  const allInOne = modules.length === MODULE_NAMES.length;
  return {
    env: s.NODE_ENV,
    modules,
    roles: s.EVENTLY_ROLES as RoleName[],
    allInOne,
    http: {
      host: s.HOST,
      port: s.PORT ?? (allInOne ? 3000 : MODULE_PORTS[modules[0]!]),
      bodyLimit: s.BODY_LIMIT_BYTES,
      corsOrigins: s.CORS_ORIGINS,
      trustProxy: parseTrustProxy(s.TRUST_PROXY),
      docs: s.EVENTLY_DOCS,
    },
    database: {
      url: s.DATABASE_URL,
      poolMax: s.DATABASE_POOL_MAX,
      acquireTimeoutMs: s.DATABASE_POOL_TIMEOUT_MS,
      lockTimeoutMs: s.DATABASE_LOCK_TIMEOUT_MS,
      statementTimeoutMs: s.DATABASE_STATEMENT_TIMEOUT_MS,
      dataDir: path.resolve(s.EVENTLY_DATA_DIR),
      migrateOnStart: s.EVENTLY_MIGRATE_ON_START,
    },
    redis: { url: s.REDIS_URL, prefix: s.REDIS_KEY_PREFIX },
    log: { level: s.LOG_LEVEL },
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    readinessTimeoutMs: s.READINESS_TIMEOUT_MS,
    outbox: { pollMs: s.OUTBOX_POLL_MS },
    bus: { claimIdleMs: s.BUS_CLAIM_IDLE_MS, maxAttempts: s.BUS_MAX_ATTEMPTS, instanceId: s.EVENTLY_INSTANCE_ID ?? `${hostname()}-${process.pid}` },
    jobs: { attempts: s.JOB_ATTEMPTS, baseDelayMs: s.JOB_BACKOFF_MS, maxDelayMs: s.JOB_BACKOFF_MAX_MS },
    mail: {
      smtpUrl: s.SMTP_URL,
      from: s.MAIL_FROM,
      devMailbox: s.EVENTLY_DEV_MAILBOX ?? (!s.SMTP_URL && s.NODE_ENV !== 'production'),
    },
    auth: {
      signingKeyPem: pem(s.AUTH_SIGNING_KEY),
      previousKeyPem: pem(s.AUTH_PREVIOUS_SIGNING_KEY),
      issuer: s.AUTH_ISSUER,
      audience: s.AUTH_AUDIENCE,
      accessTtlSeconds: s.AUTH_ACCESS_TOKEN_TTL_S,
      sessionIdleSeconds: s.AUTH_SESSION_IDLE_TIMEOUT_S,
      sessionMaxSeconds: s.AUTH_SESSION_MAX_LIFETIME_S,
      jwksUrl: s.AUTH_JWKS_URL ?? `http://127.0.0.1:${MODULE_PORTS.auth}/.well-known/jwks.json`,
      otpResendCooldownSeconds: s.AUTH_OTP_RESEND_COOLDOWN_S,
      rateLimits: s.AUTH_RATE_LIMITS
        ? { login: s.AUTH_RATE_LOGIN, register: s.AUTH_RATE_REGISTER, verify: s.AUTH_RATE_VERIFY, resend: s.AUTH_RATE_RESEND, forgot: s.AUTH_RATE_FORGOT, reset: s.AUTH_RATE_RESET }
        : {},
      admin: s.EVENTLY_ADMIN_EMAIL && s.EVENTLY_ADMIN_PASSWORD ? { email: s.EVENTLY_ADMIN_EMAIL, password: s.EVENTLY_ADMIN_PASSWORD } : undefined,
    },
    settings: s,
  };
}

/** A PEM given in one line (`\n` escapes, as env files and some platforms force) works too. */
function pem(raw: string | undefined): string | undefined {
  return raw?.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
}

function parseTrustProxy(raw: string): boolean | number | string[] {
  if (!raw.trim()) return false;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function checkRules(c: Config): string[] {
  const problems: string[] = [];
  if (c.modules.length === 0) problems.push('EVENTLY_MODULES must name at least one module');
  if (c.roles.length === 0) problems.push('EVENTLY_ROLES must name at least one role');
  const s = c.settings;
  if (Boolean(s.EVENTLY_ADMIN_EMAIL) !== Boolean(s.EVENTLY_ADMIN_PASSWORD)) {
    problems.push('EVENTLY_ADMIN_EMAIL and EVENTLY_ADMIN_PASSWORD (or EVENTLY_ADMIN_PASSWORD_FILE) go together: set both or neither');
  }
  if (c.auth.sessionIdleSeconds > c.auth.sessionMaxSeconds) {
    problems.push('AUTH_SESSION_IDLE_TIMEOUT_S must not exceed AUTH_SESSION_MAX_LIFETIME_S');
  }
  if (c.env === 'production') {
    if ((c.modules.includes('auth') || c.modules.includes('notifications')) && !s.EVENT_SEALING_KEY) {
      problems.push('EVENT_SEALING_KEY (or EVENT_SEALING_KEY_FILE) is required in production to run auth or notifications (it protects one-time codes in events)');
    }
    if (c.modules.includes('auth') && !c.auth.signingKeyPem) {
      // A generated key would live in the database next to the data it protects.
      problems.push('AUTH_SIGNING_KEY (or AUTH_SIGNING_KEY_FILE) is required in production to run the auth module');
    }
    if (!c.database.url) problems.push('DATABASE_URL is required in production (the embedded PostgreSQL is for development)');
    if (!c.redis.url) problems.push('REDIS_URL is required in production');
    if (c.mail.devMailbox) {
      // The dev mailbox shows every verification and reset code to whoever asks.
      problems.push('EVENTLY_DEV_MAILBOX cannot be on in production: it would publish every code and reset email');
    }
    if (c.modules.includes('notifications') && !c.mail.smtpUrl && !c.mail.devMailbox) {
      problems.push('SMTP_URL is required in production to run the notifications module (mail would have nowhere to go)');
    }
    for (const [name, def] of Object.entries(SETTINGS)) {
      const value = (c.settings as Record<string, unknown>)[name];
      if (def.secret && typeof value === 'string' && hasPlaceholderSecret(value)) {
        problems.push(`${name} holds a placeholder secret; production needs a real one`);
      }
    }
  }
  return problems;
}

/**
 * Running modules (not just migrating them) without Redis is allowed only all-in-one, every role
 * included: processes talk only through Redis, and in-process adapters would silently split the bus.
 */
export function assertCanRunModules(c: Config): void {
  if (c.redis.url) return;
  if (!c.allInOne) {
    throw new ConfigError(
      `Invalid configuration:\n  - REDIS_URL is required in split mode (modules ${c.modules.join(', ')}): modules in separate processes talk through Redis`,
    );
  }
  const missing = ROLE_NAMES.filter((r) => !c.roles.includes(r));
  if (missing.length) {
    // The in-process bus and queue live in one process: without the worker role nobody would
    // consume the events this process emits.
    throw new ConfigError(
      `Invalid configuration:\n  - REDIS_URL is required when a process does not play every role (missing ${missing.join(', ')}): the other roles would run elsewhere and talk through Redis`,
    );
  }
}

/** A URL's password or a plain secret that is empty or a well-known placeholder. */
function hasPlaceholderSecret(value: string): boolean {
  try {
    const u = new URL(value);
    if (u.protocol.startsWith('postgres')) return PLACEHOLDER_SECRETS.test(decodeURIComponent(u.password));
    return u.password !== '' && PLACEHOLDER_SECRETS.test(decodeURIComponent(u.password));
  } catch {
    return PLACEHOLDER_SECRETS.test(value);
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
