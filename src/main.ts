import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import {
  assertCanRunModules,
  assertDatabaseReachable,
  withTimeout,
  createAccess,
  loadSealer,
  NO_SEALER,
  createAdapters,
  createDatabase,
  createFailedEvents,
  createLogger,
  createOutbox,
  createOutboxRelay,
  createOutboxSignal,
  createMetricsServer,
  createServer,
  loadConfig,
  settingsTable,
  deleteExpiredMessages,
  errorCodeTable,
  periodicMetrics,
  registerOperationalMetrics,
  startPeriodic,
  migratePlatform,
  migrateSchema,
  startEmbeddedPostgres,
  subscribeConsumers,
  subscribeRevocations,
  type Adapters,
  type App,
  type Config,
  type Database,
  type LoadOptions,
  type Logger,
  type ModuleContext,
  type ModuleDefinition,
  type ModuleParts,
  type Periodic,
  type PeriodicTask,
  type OutboxRelay,
  type OutboxSignal,
} from './kernel/index.js';
import { ALL_MODULES, MODULE_SETTINGS } from './modules/index.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The configuration of the platform and of every module (validated together, as one table). */
export function loadEventlyConfig(options: Omit<LoadOptions, 'modules'> = {}): Config {
  return loadConfig({ ...options, modules: MODULE_SETTINGS });
}

/** The README's settings table: the platform's settings, then each module's. */
export function eventlySettingsTable(): string {
  return settingsTable(Object.values(MODULE_SETTINGS).flatMap((s) => (s ? [s.table] : [])));
}

export interface Evently {
  config: Config;
  logger: Logger;
  app: App;
  database: Database;
  adapters: Adapters;
  relay: OutboxRelay;
  /** Wakes this process's relay after a commit wrote outbox rows (tests write events through it). */
  outboxSignal: OutboxSignal;
  /** The periodic tasks of this process (empty without the scheduler role). */
  periodic: Periodic;
  modules: ModuleDefinition[];
  /** Listening address, once `listen` resolved. */
  url: string | undefined;
  /** Address of the /metrics listener of its own (METRICS_PORT), once `listen` resolved. */
  metricsUrl: string | undefined;
  listen(): Promise<string>;
  /** Stops accepting, drains requests, jobs and relays, closes pools; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Replace module definitions (tests register extra routes or consumers this way). */
  modules?: Partial<Record<string, ModuleDefinition>>;
}

/** The composition root: builds every dependency from config and starts the chosen modules and roles. */
export async function buildEvently(config: Config, options: StartOptions = {}): Promise<Evently> {
  assertCanRunModules(config);
  const logger = options.logger ?? createLogger({ level: config.log.level, service: serviceName(config) });
  const modules = config.modules.map((m) => options.modules?.[m] ?? ALL_MODULES[m]);
  errorCodeTable(modules.map((m) => m.errors ?? {})); // a code declared twice stops the start
  const cleanups: { step: string; run: () => Promise<void> }[] = [];
  const onStop = (step: string, run: () => Promise<void>) => cleanups.push({ step, run });
  // The steps share one deadline, a little inside SHUTDOWN_TIMEOUT_MS (where the CLI exits anyway):
  // each gets an equal share of what is left, so one that hangs (a client stuck reconnecting) is
  // logged and skipped while the steps after it still close the pools and the embedded server.
  const closeAll = async () => {
    const deadline = Date.now() + Math.max(1_000, config.shutdownTimeoutMs - 500);
    const steps = cleanups.reverse();
    for (const [i, { step, run }] of steps.entries()) {
      const budgetMs = Math.max(250, Math.floor((deadline - Date.now()) / (steps.length - i)));
      await withTimeout(run(), budgetMs, `shutdown step "${step}" did not finish`).catch((err: Error) =>
        logger.error({ step, err: err.message }, 'shutdown step failed or timed out; continuing'),
      );
    }
    cleanups.length = 0;
  };

  let app: App | undefined;
  try {
    let databaseUrl = config.database.url;
    if (databaseUrl) await assertDatabaseReachable(databaseUrl);
    else {
      const embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, logger });
      onStop('embedded postgres', () => embedded.stop());
      databaseUrl = embedded.url;
    }
    const database = createDatabase({ ...config.database, url: databaseUrl, logger, applicationName: serviceName(config) });
    onStop('database pool', () => database.close());
    // Redis is reached (or refused) before any migration runs: a wrong REDIS_URL changes nothing.
    const failed = createFailedEvents(database.db);
    const adapters = await createAdapters(config, logger, failed);
    onStop('adapters', () => adapters.close());
    if (config.database.migrateOnStart) await migrateModules(databaseUrl, modules, logger);

    const registry = new Registry();
    const server = await createServer({
      logger,
      bodyLimit: config.http.bodyLimit,
      requestTimeoutMs: config.http.requestTimeoutMs,
      corsOrigins: config.http.corsOrigins,
      trustProxy: config.http.trustProxy,
      docs: config.http.docs,
      readinessTimeoutMs: config.readinessTimeoutMs,
      info: { name: serviceName(config), version: VERSION, modules: config.modules, roles: config.roles, mode: config.allInOne ? 'all-in-one' : 'split' },
      checks: [{ name: 'database', check: (ms) => database.ping(ms) }, ...adapters.checks],
      registry,
      metrics: config.http.metrics.serve,
    });
    app = server;
    const metricsServer = config.http.metrics.serve === 'own' ? await createMetricsServer({ logger, registry }) : undefined;
    if (metricsServer) onStop('metrics listener', () => metricsServer.close());

    const access = createAccess(config, adapters.revocations);
    // Only auth (seals) and notifications (opens) hold the key; other processes never need it.
    const sealer = config.modules.some((n) => n === 'auth' || n === 'notifications') ? await loadSealer(config, logger) : NO_SEALER;
    const outboxSignal = createOutboxSignal();
    const platform = { env: config.env, modules: config.modules, roles: config.roles, allInOne: config.allInOne, tokens: config.tokens };
    const has = (role: string) => config.roles.includes(role as never);

    // Every module is created before any role starts (keys, bootstrap data), in start order.
    const created: [ModuleDefinition, ModuleParts, Logger][] = [];
    for (const m of modules) {
      const ctx: ModuleContext = {
        name: m.name,
        config: config.slices[m.name],
        platform,
        logger: logger.child({ module: m.name }),
        db: database.db,
        transaction: database.transaction,
        outbox: createOutbox(m.schema, outboxSignal),
        jobs: adapters.jobs,
        cache: adapters.cache,
        signals: adapters.signals,
        rateLimiter: adapters.rateLimiter,
        access,
        // Only auth (seals) and notifications (opens) get the key; other modules have no code to read.
        sealer: m.name === 'auth' || m.name === 'notifications' ? sealer : NO_SEALER,
        metrics: registry,
      };
      created.push([m, await m.create(ctx), ctx.logger]);
    }

    if (has('worker')) subscribeRevocations(adapters.bus, access, logger);
    for (const [m, parts, log] of created) {
      if (has('http') && parts.routes) {
        const routes = parts.routes;
        await server.register(async (scope) => routes(scope as App));
      }
      if (has('worker')) {
        for (const job of parts.jobs ?? []) adapters.jobs.process(job.name, job.handler, { concurrency: job.concurrency });
        if (parts.consumers?.length) {
          subscribeConsumers({ bus: adapters.bus, transaction: database.transaction, schema: m.schema, group: m.name, consumers: parts.consumers, logger: log });
        }
      }
    }
    await server.ready();

    // Every process relays its own modules' outboxes, whatever its roles: an event must not wait
    // for some other process to come along. Replicas share the rows (SKIP LOCKED).
    const schemas = modules.map((m) => m.schema);
    const relay = createOutboxRelay({ db: database.db, schemas, bus: adapters.bus, logger, pollMs: config.outbox.pollMs, signal: outboxSignal });
    registerOperationalMetrics(registry, { pool: database.pool, db: database.db, schemas, bus: adapters.bus, failed, jobs: adapters.jobs, logger });

    // Each part is added to the cleanups as soon as it runs, so a start that fails half-way stops
    // what it started. Cleanups run in reverse: periodic tasks, relay, bus, jobs, then the pools.
    // Registered before each start: a start that fails half-way (some bus workers running) is stopped too.
    if (has('worker')) {
      onStop('job queue', () => adapters.jobs.stop());
      await adapters.jobs.start();
      onStop('event bus', () => adapters.bus.stop());
      await adapters.bus.start();
    }
    onStop('outbox relay', () => relay.stop());
    await relay.start();
    const periodic = startPeriodic(has('scheduler') ? [...platformTasks(database, schemas), ...created.flatMap(([, parts]) => parts.tasks ?? [])] : [], {
      databaseUrl,
      logger,
      metrics: periodicMetrics(registry),
    });
    onStop('periodic tasks', () => periodic.stop());

    let stopping: Promise<void> | undefined;
    const evently: Evently = {
      config,
      logger,
      app: server,
      database,
      adapters,
      relay,
      outboxSignal,
      periodic,
      modules,
      url: undefined,
      metricsUrl: undefined,
      async listen() {
        const address = await server.listen({ host: config.http.host, port: config.http.port });
        evently.url = address;
        const m = config.http.metrics;
        if (metricsServer && m.serve === 'own') evently.metricsUrl = await metricsServer.listen({ host: m.host, port: m.port });
        return address;
      },
      stop() {
        stopping ??= (async () => {
          logger.info('shutting down');
          await server.close(); // stops accepting, waits for in-flight requests
          await closeAll();
          logger.info('stopped');
        })();
        return stopping;
      },
    };
    return evently;
  } catch (e) {
    await app?.close().catch(() => undefined);
    await closeAll();
    throw e;
  }
}

/**
 * The platform's own periodic work: published events and applied-event records are kept a while.
 * One task per module: its lock then covers exactly that module's tables, whichever processes run it.
 */
function platformTasks(database: Database, schemas: readonly string[]): PeriodicTask[] {
  return schemas.map((schema) => ({
    name: `${schema}.outbox-retention`,
    everyMs: 3_600_000,
    singleton: true,
    runAtStart: true,
    run: () => deleteExpiredMessages(database.db, [schema]),
  }));
}

/**
 * Applies the modules' migrations on a connection of their own without lock or statement timeouts:
 * replicas starting together wait for each other's migrations (an advisory lock), and building an
 * index on a large table may take longer than any request should.
 */
export async function migrateModules(databaseUrl: string, modules: ModuleDefinition[], logger: Logger): Promise<void> {
  const database = createDatabase({ url: databaseUrl, poolMax: 1, logger, applicationName: 'evently-migrate', lockTimeoutMs: 0, statementTimeoutMs: 0 });
  try {
    await migratePlatform(database.db, logger);
    for (const m of modules) await migrateSchema({ db: database.db, schema: m.schema, dir: m.migrationsDir, logger });
  } finally {
    await database.close();
  }
}

function serviceName(config: Config): string {
  return config.allInOne ? 'evently' : `evently-${config.modules.join('+')}`;
}
