import { bool, int, list, oneOf, optional, str, url } from './settings.js';

export const MODULE_NAMES = ['auth', 'events', 'bookings', 'analytics', 'notifications', 'web'] as const;
export type ModuleName = (typeof MODULE_NAMES)[number];
export const ROLE_NAMES = ['http', 'worker', 'scheduler'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];

/** Every setting Evently reads. README's settings table is generated from this (`evently settings`). */
export const SETTINGS = {
  NODE_ENV: oneOf(['development', 'production', 'test'] as const, {
    default: 'development',
    doc: 'Mode. `production` refuses to start without DATABASE_URL, REDIS_URL and real secrets.',
  }),
  HOST: str({ default: '127.0.0.1', doc: 'Interface to listen on (the Docker image sets 0.0.0.0).' }),
  PORT: optional(int({ min: 0, max: 65535, defaultDoc: '3000 all-in-one; the module\'s port in split mode', doc: 'HTTP port.' })),
  EVENTLY_MODULES: list({
    allowed: MODULE_NAMES,
    default: [...MODULE_NAMES],
    doc: `Modules this process runs (comma list of ${MODULE_NAMES.join(', ')}). Fewer than all is split mode.`,
  }),
  EVENTLY_ROLES: list({
    allowed: ROLE_NAMES,
    default: [...ROLE_NAMES],
    doc: 'Roles this process plays: `http` (routes), `worker` (event consumers, jobs), `scheduler` (timed sweeps).',
  }),
  DATABASE_URL: optional(url({
    protocols: ['postgres:', 'postgresql:'],
    secret: true,
    defaultDoc: 'embedded PostgreSQL',
    doc: 'PostgreSQL connection URL. Absent: a private PostgreSQL is started in EVENTLY_DATA_DIR.',
  })),
  DATABASE_POOL_MAX: int({ min: 1, max: 500, default: 20, doc: 'Connections per process in the PostgreSQL pool.' }),
  DATABASE_POOL_TIMEOUT_MS: int({ min: 10, max: 60_000, default: 5_000, doc: 'How long a request waits for a free database connection before it answers 503 `OVERLOADED`.' }),
  DATABASE_LOCK_TIMEOUT_MS: int({ min: 10, max: 600_000, default: 5_000, doc: 'Longest wait for a row or table lock (`lock_timeout` of every connection); past it the request answers 503 `OVERLOADED`.' }),
  DATABASE_STATEMENT_TIMEOUT_MS: int({ min: 100, max: 3_600_000, default: 15_000, doc: 'Longest run of one SQL statement (`statement_timeout`); past it the request answers 503 `OVERLOADED`. Migrations run without it.' }),
  EVENTLY_DATA_DIR: str({ default: './.evently', doc: 'Folder of the embedded PostgreSQL data (and other local state).' }),
  EVENTLY_MIGRATE_ON_START: bool({ default: true, doc: 'Apply pending migrations at start (`evently migrate` does it on demand).' }),
  REDIS_URL: optional(url({
    protocols: ['redis:', 'rediss:'],
    secret: true,
    defaultDoc: 'in-process adapters',
    doc: 'Redis URL (`rediss://` for TLS). Required in split mode; absent: in-process bus, queue, cache and limits.',
  })),
  REDIS_CLUSTER_NODES: list({
    default: [],
    doc: 'The other nodes of a Redis Cluster (`host:port`, comma list). Set: REDIS_URL names one node of the cluster (and gives the credentials and TLS), and Evently talks to the cluster; the keys each operation uses together share a hash tag.',
  }),
  REDIS_KEY_PREFIX: str({ default: 'evently:', pattern: /^(?=.{1,64}$)[A-Za-z0-9:_-]*(\{[A-Za-z0-9:_-]+\})?[A-Za-z0-9:_-]*$/, doc: 'Prefix of every Redis key Evently writes (at most 64 characters; one `{tag}` in it puts every key in one slot of a Redis Cluster).' }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { default: 'info', doc: 'Log level (JSON lines on stdout).' }),
  CORS_ORIGINS: list({ default: [], doc: 'Origins allowed to call the API from a browser (comma list, exact match). Empty: none.' }),
  TRUST_PROXY: str({
    default: '',
    doc: 'Proxies trusted for `X-Forwarded-For`: comma list of IPs/CIDRs, or a hop count. Empty: the socket address is the client.',
  }),
  HTTP_REQUEST_TIMEOUT_MS: int({ min: 0, max: 600_000, default: 30_000, doc: 'Time a client has to send a whole request (headers and body); a slower one is answered 400 and disconnected (Node checks every 30 s). 0: no limit.' }),
  BODY_LIMIT_BYTES: int({ min: 1024, max: 10 * 1024 * 1024, default: 1024 * 1024, doc: 'Largest request body accepted (413 above).' }),
  EVENTLY_DOCS: bool({ default: true, doc: 'Serve the OpenAPI document at /docs/json and the UI at /docs.' }),
  EVENTLY_METRICS: bool({ default: true, doc: 'Serve Prometheus metrics at /metrics (on PORT, or on METRICS_PORT when set). `false`: no /metrics anywhere.' }),
  METRICS_PORT: optional(int({
    min: 0,
    max: 65535,
    defaultDoc: 'none: /metrics on PORT (the Docker image sets 9464)',
    doc: 'Serve /metrics on a listener of its own on this port instead of on PORT, so the public port does not expose it (publish only PORT). Must differ from PORT.',
  })),
  METRICS_HOST: optional(str({ defaultDoc: 'HOST', doc: 'Interface of the METRICS_PORT listener (e.g. a private address while HOST is public). Needs METRICS_PORT.' })),
  SHUTDOWN_TIMEOUT_MS: int({ min: 100, default: 10_000, doc: 'How long a graceful shutdown may drain before the process exits anyway.' }),
  READINESS_TIMEOUT_MS: int({ min: 50, default: 1_500, doc: 'Time limit of each dependency check in /health/ready.' }),
  OUTBOX_POLL_MS: int({ min: 10, default: 1_000, doc: 'Outbox relay safety-net poll interval (new events wake it at once).' }),
  EVENTLY_INSTANCE_ID: optional(str({
    pattern: /^[A-Za-z0-9._-]{1,100}$/,
    defaultDoc: 'hostname-pid',
    doc: 'Name of this replica on the bus. A stable, unique value per replica (e.g. a StatefulSet pod name) lets a restarted replica retry its unacknowledged events at once instead of after BUS_CLAIM_IDLE_MS. Never give two running processes the same one.',
  })),
  BUS_MAX_ATTEMPTS: int({ min: 1, max: 100, default: 10, doc: 'Deliveries of an event to a consumer group before it is dead-lettered (kept in `platform.failed_events`: `evently events dead` lists them, `evently events replay` retries them). A failed delivery is retried beside the group\'s later events: in-process with backoff, on Redis every BUS_CLAIM_IDLE_MS. A failure because PostgreSQL or Redis is away counts no attempt: the group pauses instead.' }),
  BUS_CLAIM_IDLE_MS: int({ min: 100, default: 30_000, doc: 'An event read but not acknowledged for this long is redelivered to another consumer.' }),
  JOB_ATTEMPTS: int({ min: 1, max: 100, default: 8, doc: 'Attempts of a background job before it goes to the dead-letter set.' }),
  JOB_BACKOFF_MS: int({ min: 1, default: 1_000, doc: 'First retry delay of a job; doubles each attempt, with jitter.' }),
  JOB_BACKOFF_MAX_MS: int({ min: 1, default: 300_000, doc: 'Longest retry delay of a job.' }),
  AUTH_ISSUER: str({ default: 'evently', pattern: /^\S{1,200}$/, doc: 'The `iss` of access tokens; every module checks it.' }),
  AUTH_AUDIENCE: str({ default: 'evently-api', pattern: /^\S{1,200}$/, doc: 'The `aud` of access tokens; every module checks it.' }),
  AUTH_ACCESS_TOKEN_TTL_S: int({ min: 30, max: 3600, default: 900, doc: 'Lifetime of an access token (seconds). Also how long a revocation is remembered.' }),
  AUTH_JWKS_URL: optional(url({
    protocols: ['http:', 'https:'],
    defaultDoc: 'in-process keys when this process runs auth; else http://127.0.0.1:35000/.well-known/jwks.json',
    doc: 'Where modules running without auth fetch the token verification keys (cached; refetched on an unknown `kid`).',
  })),
  EVENT_SEALING_KEY: optional(str({
    secret: true,
    pattern: /^[A-Za-z0-9+/_-]{43}=?$/,
    defaultDoc: 'generated once in EVENTLY_DATA_DIR (development only)',
    doc: 'Encrypts one-time codes inside events between auth and notifications (32 random bytes, base64: `openssl rand -base64 32`). The same value in every auth and notifications process; required in production for them.',
  })),
} as const;
