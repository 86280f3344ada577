#!/usr/bin/env node
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import {
  AppError,
  assertDatabaseReachable,
  ConfigError,
  createOutbox,
  createDatabase,
  createLogger,
  startEmbeddedPostgres,
  type Config,
  type Database,
  type Logger,
} from './kernel/index.js';
import { ALL_MODULES } from './modules/index.js';
import { authModule, ensureAdmin, isUsableAdmin, type AuthConfig } from './modules/auth/index.js';
import { buildEvently, eventlySettingsTable, loadEventlyConfig, migrateModules, VERSION, type Evently } from './main.js';
import { discardFailedEvents, listFailedEvents, replayFailedEvents } from './cli-events.js';

const USAGE = `Usage: evently <command> [options]

Commands:
  start       Run Evently (all modules and roles in one process unless told otherwise)
  migrate     Apply pending database migrations of the selected modules and exit
  settings    Print the table of settings (environment variables)
  events dead [--group G] [--limit N]
              List the events consumer groups could not handle: dead letters and retries
  events replay --group G (--event ID ... | --all)
              Give a group's dead letters fresh attempts (its workers run them within seconds)
  events discard --group G (--event ID ... | --all)
              Delete a group's dead letters: given up on for good
  admin create --email E [--username U] [--password-stdin]
              Create a verified admin unless the email exists (exit 65 if it belongs to a
              non-admin account or the password is weak). The password comes from
              EVENTLY_ADMIN_PASSWORD(_FILE), or from the first line of stdin with --password-stdin
              (never from the command line, where other users could read it)

Commands other than start use the running server's embedded PostgreSQL when one runs in
EVENTLY_DATA_DIR, or DATABASE_URL. They read only the settings they use (the database's, LOG_LEVEL,
NODE_ENV, and EVENTLY_MODULES for migrate, EVENTLY_ADMIN_* for admin create): in production they
need DATABASE_URL, not SMTP_URL or the keys a server needs.

Options (start, migrate):
  --modules a,b    Modules to run: auth, events, bookings, analytics, notifications (EVENTLY_MODULES)
  --roles a,b      Roles to play: http, worker, scheduler (EVENTLY_ROLES)
  --port N         HTTP port (PORT)
  --host H         Interface to listen on (HOST)
  -h, --help       This text
  -v, --version    Print the version

Exit codes: 0 done, 1 failed, 64 bad command line, 65 bad data, 78 bad configuration.`;

/** sysexits.h: the command line was wrong. */
const EX_USAGE = 64;
const EX_DATAERR = 65;
const EX_CONFIG = 78;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      modules: { type: 'string' },
      roles: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      email: { type: 'string' },
      username: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      group: { type: 'string' },
      event: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      limit: { type: 'string' },
    },
  });
  if (values.version) return void console.log(VERSION), 0;
  const command = positionals[0];
  if (values.help) return void console.log(USAGE), 0;
  if (!command) throw new UsageError('no command given');
  const expected = command === 'admin' || command === 'events' ? 2 : 1;
  if (positionals.length > expected) throw new UsageError(`unexpected argument ${positionals[expected]}`);
  if ((values.email || values.username || values['password-stdin']) && command !== 'admin') {
    throw new UsageError('--email, --username and --password-stdin belong to `admin create`');
  }
  if ((values.group || values.event || values.all || values.limit) && command !== 'events') {
    throw new UsageError('--group, --event, --all and --limit belong to the `events` commands');
  }

  const overrides = { EVENTLY_MODULES: values.modules, EVENTLY_ROLES: values.roles, PORT: values.port, HOST: values.host };
  // Commands other than start read and check only the settings they use (see LoadOptions.command):
  // `docker compose exec auth evently admin create` must not need SMTP_URL or the signing key.
  const commandConfig = (uses: string[], more: Record<string, string | undefined> = {}) =>
    loadEventlyConfig({ overrides: { ...overrides, ...more }, command: { uses } });
  switch (command) {
    case 'start':
      return start(loadEventlyConfig({ overrides }));
    case 'migrate': {
      const config = commandConfig(['EVENTLY_MODULES']);
      return withDatabaseUrl(config, async (url, logger) => {
        await migrateModules(url, config.modules.map((m) => ALL_MODULES[m]), logger);
        logger.info({ modules: config.modules }, 'migrations up to date');
        return 0;
      }, 'info');
    }
    case 'admin': {
      if (positionals[1] !== 'create') throw new UsageError('the admin command is `admin create`');
      const password = values['password-stdin'] ? await firstLineOfStdin() : undefined;
      const config = commandConfig(['EVENTLY_ADMIN_EMAIL', 'EVENTLY_ADMIN_PASSWORD'], { EVENTLY_ADMIN_EMAIL: values.email, EVENTLY_ADMIN_PASSWORD: password });
      return adminCreate(config, values.username);
    }
    case 'events': {
      const sub = positionals[1];
      if (sub !== 'dead' && sub !== 'replay' && sub !== 'discard') throw new UsageError('the events commands are `events dead`, `events replay` and `events discard`');
      const config = commandConfig([]);
      if (sub === 'dead') {
        const limit = values.limit === undefined ? 100 : Number(values.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
        return withDatabase(config, (database, logger) => listFailedEvents(database, logger, { group: values.group, limit }));
      }
      if (!values.group) throw new UsageError(`events ${sub} needs --group`);
      if (Boolean(values.all) === Boolean(values.event?.length)) throw new UsageError(`events ${sub} needs either --event ID (repeatable) or --all`);
      const which = { group: values.group, events: values.all ? undefined : values.event };
      return withDatabase(config, (database, logger) => (sub === 'replay' ? replayFailedEvents : discardFailedEvents)(database, logger, which));
    }
    case 'settings':
      console.log(eventlySettingsTable());
      return 0;
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

async function start(config: Config): Promise<number> {
  // Before anything slow (a first start initialises and migrates a database): a port in use fails now.
  let evently: Evently;
  try {
    await assertPortFree(config.http.host, config.http.port, 'PORT');
    const metrics = config.http.metrics;
    if (metrics.serve === 'own') await assertPortFree(metrics.host, metrics.port, 'METRICS_PORT');
    evently = await buildEvently(config);
  } catch (e) {
    throw new Error(`could not start: ${(e as Error).message}`, { cause: e });
  }
  stopOnSignals(evently, config.shutdownTimeoutMs);
  const address = await evently.listen();
  const log = evently.logger;
  log.info({ modules: config.modules, roles: config.roles, mode: config.allInOne ? 'all-in-one' : 'split' }, 'Evently started');
  if (process.stdout.isTTY || config.env !== 'production') {
    const local = (url: string) => url.replace('0.0.0.0', '127.0.0.1');
    const base = local(address);
    const metrics = config.http.metrics.serve === 'off' ? 'off (EVENTLY_METRICS=false)' : `${evently.metricsUrl ? local(evently.metricsUrl) : base}/metrics`;
    const docs = config.http.docs ? `${base}/docs` : 'off (EVENTLY_DOCS=false)';
    const web = config.modules.includes('web') && config.roles.includes('http') ? `    Web app  ${base}/\n` : '';
    process.stderr.write(
      `\n  Evently ${VERSION} is running (${config.allInOne ? 'all-in-one' : `modules: ${config.modules.join(', ')}`})\n` +
        `${web}    API      ${base}/api/v1\n    Docs     ${docs}\n    Health   ${base}/health/ready\n    Metrics  ${metrics}\n\n`,
    );
  }
  return -1; // keep running
}

/**
 * The first SIGINT/SIGTERM starts a graceful stop; repeats are ignored until it is done. `npm start`
 * in a terminal delivers Ctrl-C twice (the terminal signals npm and node, and npm forwards its
 * own), so "second signal exits at once" would skip the shutdown most of the time. A stop that
 * overruns SHUTDOWN_TIMEOUT_MS ends the process anyway.
 */
function stopOnSignals(evently: Evently, timeoutMs: number): void {
  const log = evently.logger;
  let stopping = false;
  const stop = (why: Record<string, unknown>, code: number) => {
    if (stopping) {
      log.info(why, 'already shutting down; the repeated signal is ignored');
      return;
    }
    stopping = true;
    log.info(why, 'shutting down');
    setTimeout(() => {
      log.error({ timeout_ms: timeoutMs }, 'shutdown did not finish within SHUTDOWN_TIMEOUT_MS; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    evently.stop().then(
      () => {
        process.exitCode = code;
        // Whatever a library left open must not keep a stopped server alive.
        setTimeout(() => process.exit(), 1_000).unref();
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop({ signal: 'SIGINT' }, 0));
  process.on('SIGTERM', () => stop({ signal: 'SIGTERM' }, 0));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    stop({ reason: 'uncaught exception' }, 1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled promise rejection');
    stop({ reason: 'unhandled rejection' }, 1);
  });
}

function assertPortFree(host: string, port: number, setting: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use (another Evently?): stop that process or choose another ${setting}`) : err),
    );
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** Runs a command against the database: DATABASE_URL, else the embedded one (the server's if it runs). */
async function withDatabaseUrl(config: Config, fn: (url: string, logger: Logger) => Promise<number>, level = 'warn'): Promise<number> {
  const logger = createLogger({ level: config.log.level === 'info' ? level : config.log.level, service: 'evently-cli' });
  if (config.database.url) await assertDatabaseReachable(config.database.url);
  const embedded = config.database.url ? undefined : await startEmbeddedPostgres({ dataDir: config.database.dataDir, logger, attach: true });
  try {
    return await fn(config.database.url ?? embedded!.url, logger);
  } finally {
    await embedded?.stop();
  }
}

function withDatabase(config: Config, fn: (database: Database, logger: Logger) => Promise<number>): Promise<number> {
  return withDatabaseUrl(config, async (url, logger) => {
    const database = createDatabase({ ...config.database, url, poolMax: 2, logger });
    try {
      return await fn(database, logger);
    } finally {
      await database.close();
    }
  });
}

/** `evently admin create`: the same bootstrap as EVENTLY_ADMIN_EMAIL/PASSWORD at start, on demand. */
async function adminCreate(config: Config, username: string | undefined): Promise<number> {
  const admin = (config.slices.auth as AuthConfig).admin;
  if (!admin) throw new UsageError('admin create needs --email (or EVENTLY_ADMIN_EMAIL) and a password (EVENTLY_ADMIN_PASSWORD(_FILE) or --password-stdin)');
  return withDatabaseUrl(config, async (url, logger) => {
    await migrateModules(url, [authModule], logger);
    const database = createDatabase({ ...config.database, url, poolMax: 2, logger });
    try {
      const outcome = await ensureAdmin({ db: database.db, transaction: database.transaction, outbox: createOutbox(authModule.schema) }, { ...admin, username });
      if ('created' in outcome) {
        console.log(`admin ${outcome.created.email} created (username ${outcome.created.username})`);
        return 0;
      }
      if (isUsableAdmin(outcome.exists)) {
        console.log(`an admin with email ${outcome.exists.email} already exists; nothing changed`);
        return 0;
      }
      process.stderr.write(`evently: ${outcome.exists.email} belongs to an account that is not an active, verified admin; nothing changed\n`);
      return EX_DATAERR;
    } catch (err) {
      // A weak password or a bad email: say what, not a stack.
      if (err instanceof AppError) {
        process.stderr.write(`evently: ${err.message}${err.details?.length ? `: ${err.details.map((d) => `${d.field ?? ''} ${d.message}`.trim()).join('; ')}` : ''}\n`);
        return EX_DATAERR;
      }
      throw err;
    } finally {
      await database.close();
    }
  });
}

async function firstLineOfStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('--password-stdin: stdin held no password');
  return line;
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`evently: ${err.message}\n`);
      process.exitCode = EX_CONFIG;
    } else if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`evently: ${(err as Error).message}\n\n${USAGE}\n`);
      process.exitCode = EX_USAGE;
    } else {
      process.stderr.write(`evently: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
    // Pools or timers left by a half-built start must not keep the process alive.
    setTimeout(() => process.exit(), 2_000).unref();
  },
);
