import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { hostname, userInfo } from 'node:os';
import { parse as parseDotenv } from 'dotenv';
import { SETTINGS, MODULE_NAMES, ROLE_NAMES, type ModuleName, type RoleName } from './schema.js';
import { SettingError, type ParsedSettings, type SettingsTable } from './settings.js';

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
    requestTimeoutMs: number;
    corsOrigins: readonly string[];
    trustProxy: boolean | number | string[];
    docs: boolean;
    /**
     * Where /metrics is served: `off`, `api` (on the API port), or `own` (a listener of its own on
     * `port`, bound to `host`).
     */
    metrics: { serve: 'off' | 'api' } | { serve: 'own'; host: string; port: number };
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
  /** `clusterNodes`: set (possibly empty) when REDIS_URL is one node of a Redis Cluster with these others. */
  redis: { url: string | undefined; prefix: string; clusterNodes?: { host: string; port: number }[] };
  log: { level: string };
  shutdownTimeoutMs: number;
  readinessTimeoutMs: number;
  outbox: { pollMs: number };
  bus: { claimIdleMs: number; maxAttempts: number; instanceId: string };
  jobs: { attempts: number; baseDelayMs: number; maxDelayMs: number };
  /** How every module verifies access tokens (auth also signs with these). */
  tokens: { issuer: string; audience: string; accessTtlSeconds: number; jwksUrl: string };
  /** Every parsed platform setting (secrets included: never log this). */
  settings: Readonly<Settings>;
  /** Each module's own config slice, keyed by module name (see ModuleSettings). */
  slices: Readonly<Record<string, unknown>>;
}

/** The platform's configuration as a module's slice is made from it: no raw settings, so no secrets. */
export type PlatformConfig = Omit<Config, 'slices' | 'settings'>;

/**
 * A module's own settings: declared by the module, merged into the one settings table (validation,
 * `evently settings`, the README), and handed to the module as its slice: its settings plus what it
 * needs of the platform's, nothing else (no other module's secrets).
 */
export interface ModuleSettings<C = unknown> {
  table: SettingsTable;
  slice(settings: Record<string, unknown>, platform: PlatformConfig): C;
  /** Rules that hold when this process runs the module (e.g. what production requires). */
  check?(slice: C, platform: Config, settings: Record<string, unknown>): string[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Split mode: the seed's ports; notifications has no API, its port serves health and metrics (and
 * the dev mailbox when it is on); the web app's process is next to them.
 */
export const MODULE_PORTS: Record<ModuleName, number> = {
  auth: 35000,
  events: 35001,
  bookings: 35002,
  analytics: 35003,
  notifications: 35004,
  web: 35005,
};

/**
 * The public paths each module serves, as prefixes: what a router in front of split mode (the
 * Kubernetes Ingress, the web app's process) sends to which module. The web app takes the rest.
 */
export const MODULE_ROUTES: Record<ModuleName, readonly string[]> = {
  auth: ['/api/v1/auth', '/api/v1/admin/users', '/api/v1/admin/sessions', '/.well-known/jwks.json'],
  events: ['/api/v1/events', '/api/v1/admin/events'],
  bookings: ['/api/v1/bookings', '/api/v1/availability', '/api/v1/waitlist', '/api/v1/admin/bookings', '/api/v1/admin/audit-logs', '/api/v1/admin/waitlist'],
  analytics: ['/api/v1/analytics'],
  notifications: ['/dev/mailbox'],
  web: ['/'],
};

const PLACEHOLDER_SECRETS = /^(|changeme|change-me|secret|password|postgres|admin|example|test|default|xxx+)$/i;

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** The `.env` file; `false` to ignore. Default: `.env` in the working directory. */
  envFile?: string | false;
  /** Values that win over everything else (command-line flags). */
  overrides?: Record<string, string | undefined>;
  /** The modules' own settings, by module name (the composition root passes every module's). */
  modules?: Readonly<Record<string, ModuleSettings | undefined>>;
  /**
   * A one-off command (`migrate`, `admin create`, `events …`) rather than a start. Only the settings
   * it uses are read and validated: COMMAND_SETTINGS (the database, the log level, the mode) and
   * `uses`; every other setting keeps its default, unread, so a secret file the command does not
   * need may be missing or unreadable. The rules of a start (each module's checks, what production
   * requires to serve) do not apply, except that production needs DATABASE_URL.
   */
  command?: { uses: readonly string[] };
}

/** What every command that works on the database reads (see LoadOptions.command). */
export const COMMAND_SETTINGS = [
  'NODE_ENV',
  'LOG_LEVEL',
  'DATABASE_URL',
  'DATABASE_POOL_MAX',
  'DATABASE_POOL_TIMEOUT_MS',
  'DATABASE_LOCK_TIMEOUT_MS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'EVENTLY_DATA_DIR',
] as const;

/**
 * Reads settings from (highest first) overrides, the environment, `NAME_FILE` files, and `.env`.
 * Any invalid value stops the start with a message naming the setting.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const envFile = options.envFile === undefined ? path.resolve('.env') : options.envFile;
  const dotenv = envFile && existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const used = options.command ? new Set<string>([...COMMAND_SETTINGS, ...options.command.uses]) : undefined;
  const raw = (name: string) => (used && !used.has(name) ? undefined : rawValue(name, options.overrides ?? {}, env, dotenv));
  const read = (table: SettingsTable, problems: string[]) => parseTable(table, raw, problems);
  const problems: string[] = [];
  const declared = new Set(Object.keys(SETTINGS));
  for (const m of Object.values(options.modules ?? {})) {
    for (const name of Object.keys(m?.table ?? {})) {
      // A programming mistake, not a bad environment: two owners for one setting.
      if (declared.has(name)) throw new Error(`setting ${name} is declared twice`);
      declared.add(name);
    }
  }
  const platform = read(SETTINGS, problems);
  const moduleSettings = Object.entries(options.modules ?? {}).flatMap(([name, m]) => (m ? [[name, m, read(m.table, problems)] as const] : []));
  if (problems.length) throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);

  const { settings: _secrets, ...base } = toConfig(platform as Settings);
  const slices = Object.fromEntries(moduleSettings.map(([name, m, parsed]) => [name, m.slice(parsed, base)]));
  const config: Config = { ...base, settings: platform as Settings, slices };
  const rules = checkRules(config, options.command ? 'command' : 'start');
  for (const [name, m, parsed] of options.command ? [] : moduleSettings) {
    if (config.modules.includes(name as ModuleName)) rules.push(...(m.check?.(slices[name], config, parsed) ?? []));
  }
  if (config.env === 'production') {
    const tables: [SettingsTable, Record<string, unknown>][] = [[SETTINGS, platform], ...moduleSettings.map(([, m, parsed]) => [m.table, parsed] as [SettingsTable, Record<string, unknown>])];
    for (const [table, values] of tables) {
      for (const [name, def] of Object.entries(table)) {
        const value = values[name];
        if (def.secret && typeof value === 'string' && hasPlaceholderSecret(value)) rules.push(`${name} holds a placeholder secret; production needs a real one`);
      }
    }
  }
  if (rules.length) throw new ConfigError(`Invalid configuration:\n  - ${rules.join('\n  - ')}`);
  return deepFreeze(config);
}

/** Parses every setting of a table; problems (never showing a secret's value) are collected. */
function parseTable(table: SettingsTable, raw: (name: string) => string | undefined, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) {
    let value: string | undefined;
    try {
      value = raw(name);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    if (value === undefined || value === '') {
      out[name] = 'default' in def ? def.default : undefined;
      continue;
    }
    try {
      out[name] = def.parse(value);
    } catch (e) {
      if (!(e instanceof SettingError)) throw e;
      const shown = def.secret ? '' : ` (got ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)})`;
      problems.push(`${name} ${e.message}${shown}`);
    }
  }
  return out;
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
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EACCES' || code === 'EPERM') {
      // The usual cause: Docker Compose mounts a secret with its owner and mode on the host, so a
      // key made 0600 by its owner is closed to the image's user (node, uid 1000).
      const who = runningUser();
      throw new Error(
        `cannot read ${setting} (${code}): ${file} is not readable by ${who}, the user Evently runs as. ` +
          'A file secret keeps its owner and mode from the host (Docker Compose mounts secret files as they are): ' +
          `on the host, chmod 0644 the file (in a folder only its owner can enter) or chown it to ${who.replace(/ \(.*\)$/, '')}; ` +
          'or run Evently as a user that can read it (e.g. `user:` in docker-compose.yml)',
      );
    }
    if (code === 'ENOENT') throw new Error(`cannot read ${setting} (ENOENT): there is no file ${file}`);
    if (code === 'EISDIR') throw new Error(`cannot read ${setting} (EISDIR): ${file} is a folder, not a file`);
    throw new Error(`cannot read ${setting} (${code}): ${file}`);
  }
}

function runningUser(): string {
  const uid = process.getuid?.();
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    // A uid without a passwd entry (`docker run --user 1234`) has no name.
  }
  return uid === undefined ? (name ?? 'this user') : `uid ${uid}${name ? ` (${name})` : ''}`;
}

function toConfig(s: Settings): Omit<Config, 'slices'> {
  const modules = MODULE_NAMES.filter((m) => s.EVENTLY_MODULES.includes(m));
  // The web app is a client of the API: a process with every other module is all-in-one with or
  // without it (`--modules auth,events,bookings,analytics,notifications`: the API alone, no Redis).
  const allInOne = MODULE_NAMES.every((m) => m === 'web' || modules.includes(m));
  return {
    env: s.NODE_ENV,
    modules,
    roles: s.EVENTLY_ROLES as RoleName[],
    allInOne,
    http: {
      host: s.HOST,
      port: s.PORT ?? (allInOne ? 3000 : MODULE_PORTS[modules[0]!]),
      bodyLimit: s.BODY_LIMIT_BYTES,
      requestTimeoutMs: s.HTTP_REQUEST_TIMEOUT_MS,
      corsOrigins: s.CORS_ORIGINS,
      trustProxy: parseTrustProxy(s.TRUST_PROXY),
      docs: s.EVENTLY_DOCS,
      metrics: !s.EVENTLY_METRICS
        ? { serve: 'off' }
        : s.METRICS_PORT === undefined
          ? { serve: 'api' }
          : { serve: 'own', host: s.METRICS_HOST ?? s.HOST, port: s.METRICS_PORT },
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
    redis: { url: s.REDIS_URL, prefix: s.REDIS_KEY_PREFIX, ...(s.REDIS_CLUSTER_NODES.length ? { clusterNodes: s.REDIS_CLUSTER_NODES.flatMap((n) => hostPort(n) ?? []) } : {}) },
    log: { level: s.LOG_LEVEL },
    shutdownTimeoutMs: s.SHUTDOWN_TIMEOUT_MS,
    readinessTimeoutMs: s.READINESS_TIMEOUT_MS,
    outbox: { pollMs: s.OUTBOX_POLL_MS },
    bus: { claimIdleMs: s.BUS_CLAIM_IDLE_MS, maxAttempts: s.BUS_MAX_ATTEMPTS, instanceId: s.EVENTLY_INSTANCE_ID ?? `${hostname()}-${process.pid}` },
    jobs: { attempts: s.JOB_ATTEMPTS, baseDelayMs: s.JOB_BACKOFF_MS, maxDelayMs: s.JOB_BACKOFF_MAX_MS },
    tokens: {
      issuer: s.AUTH_ISSUER,
      audience: s.AUTH_AUDIENCE,
      accessTtlSeconds: s.AUTH_ACCESS_TOKEN_TTL_S,
      jwksUrl: s.AUTH_JWKS_URL ?? `http://127.0.0.1:${MODULE_PORTS.auth}/.well-known/jwks.json`,
    },
    settings: s,
  };
}

function parseTrustProxy(raw: string): boolean | number | string[] {
  if (!raw.trim()) return false;
  if (/^\d+$/.test(raw.trim())) return Number(raw.trim());
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

function checkRules(c: Config, purpose: 'start' | 'command'): string[] {
  const problems: string[] = [];
  if (c.modules.length === 0) problems.push('EVENTLY_MODULES must name at least one module');
  if (c.roles.length === 0) problems.push('EVENTLY_ROLES must name at least one role');
  if (purpose === 'command') {
    // A command in production runs against the deployment's database (the image has no embedded one).
    if (c.env === 'production' && !c.database.url) problems.push('DATABASE_URL is required in production (the embedded PostgreSQL is for development)');
    return problems;
  }
  const s = c.settings;
  if (s.METRICS_PORT !== undefined && !s.EVENTLY_METRICS) problems.push('METRICS_PORT is set but EVENTLY_METRICS=false turns /metrics off: unset one of them');
  if (s.METRICS_HOST !== undefined && s.METRICS_PORT === undefined) problems.push('METRICS_HOST needs METRICS_PORT (without it /metrics is served on PORT)');
  if (c.http.metrics.serve === 'own' && c.http.metrics.port !== 0 && c.http.metrics.port === c.http.port) {
    problems.push(`METRICS_PORT must differ from PORT (both ${c.http.port}): it is a listener of its own`);
  }
  const badNodes = s.REDIS_CLUSTER_NODES.filter((n) => !hostPort(n));
  if (badNodes.length) problems.push(`REDIS_CLUSTER_NODES: ${badNodes.map((n) => JSON.stringify(n)).join(', ')} is not host:port`);
  if (s.REDIS_CLUSTER_NODES.length && !c.redis.url) problems.push('REDIS_CLUSTER_NODES needs REDIS_URL: one node of the cluster, with its credentials and TLS');
  if (c.env === 'production') {
    if ((c.modules.includes('auth') || c.modules.includes('notifications')) && !c.settings.EVENT_SEALING_KEY) {
      problems.push('EVENT_SEALING_KEY (or EVENT_SEALING_KEY_FILE) is required in production to run auth or notifications (it protects one-time codes in events)');
    }
    if (!c.database.url) problems.push('DATABASE_URL is required in production (the embedded PostgreSQL is for development)');
    if (!c.redis.url) problems.push('REDIS_URL is required in production');
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

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether listening on `host` keeps a server to this machine: 127.0.0.0/8, ::1 (IPv4-mapped forms
 * included) or `localhost`. Any other name may resolve to anything, so it is not loopback.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (h === 'localhost') return true;
  if (isIPv4(h)) return LOOPBACK.check(h, 'ipv4');
  if (isIPv6(h)) return LOOPBACK.check(h, 'ipv6');
  return false;
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

/** `host:port` of a REDIS_CLUSTER_NODES entry, or undefined (reported by the checks). */
function hostPort(entry: string): { host: string; port: number } | undefined {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(entry);
  const port = Number(m?.[2]);
  return m && port >= 1 && port <= 65_535 ? { host: m[1]!.replace(/^\[|\]$/g, ''), port } : undefined;
}
