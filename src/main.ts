import { readFileSync } from 'node:fs';
import {
  assertCanRunModules,
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
  createServer,
  migratePlatform,
  migrateSchema,
  startEmbeddedPostgres,
  subscribeConsumers,
  subscribeRevocations,
  type Adapters,
  type App,
  type Config,
  type Database,
  type Logger,
  type ModuleContext,
  type ModuleDefinition,
  type OutboxRelay,
  type OutboxSignal,
} from './kernel/index.js';
import { ALL_MODULES } from './modules/index.js';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Evently {
  config: Config;
  logger: Logger;
  app: App;
  database: Database;
  adapters: Adapters;
  relay: OutboxRelay;
  /** Wakes this process's relay after a commit wrote outbox rows (tests write events through it). */
  outboxSignal: OutboxSignal;
  modules: ModuleDefinition[];
  /** Listening address, once `listen` resolved. */
  url: string | undefined;
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
  const cleanups: { step: string; run: () => Promise<void> }[] = [];
  const onStop = (step: string, run: () => Promise<void>) => cleanups.push({ step, run });
  // Each step gets a share of the shutdown budget: one that hangs (a client stuck reconnecting)
  // is logged and skipped, so the steps after it still close the pools and connections.
  const stepBudgetMs = Math.max(1_000, Math.floor(config.shutdownTimeoutMs / 4));
  const closeAll = async () => {
    for (const { step, run } of cleanups.reverse()) {
      await withTimeout(run(), stepBudgetMs, `shutdown step "${step}" did not finish`).catch((err: Error) =>
        logger.error({ step, err: err.message }, 'shutdown step failed or timed out; continuing'),
      );
    }
    cleanups.length = 0;
  };

  let app: App | undefined;
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ dataDir: config.database.dataDir, logger });
      onStop('embedded postgres', () => embedded.stop());
      databaseUrl = embedded.url;
    }
    if (config.database.migrateOnStart) await migrateModules(databaseUrl, modules, logger);
    const database = createDatabase({ ...config.database, url: databaseUrl, logger, applicationName: serviceName(config) });
    onStop('database pool', () => database.close());

    const adapters = await createAdapters(config, logger, createFailedEvents(database.db));
    onStop('adapters', () => adapters.close());

    const server = await createServer({
      logger,
      bodyLimit: config.http.bodyLimit,
      corsOrigins: config.http.corsOrigins,
      trustProxy: config.http.trustProxy,
      docs: config.http.docs,
      readinessTimeoutMs: config.readinessTimeoutMs,
      info: { name: serviceName(config), version: VERSION, modules: config.modules, roles: config.roles, mode: config.allInOne ? 'all-in-one' : 'split' },
      checks: [{ name: 'database', check: (ms) => database.ping(ms) }, ...adapters.checks],
    });
    app = server;

    const access = createAccess(config, adapters.revocations);
    // Only auth (seals) and notifications (opens) hold the key; other processes never need it.
    const sealer = config.modules.some((n) => n === 'auth' || n === 'notifications') ? await loadSealer(config, logger) : NO_SEALER;
    const outboxSignal = createOutboxSignal();
    const contexts = modules.map((m): [ModuleDefinition, ModuleContext] => [
      m,
      {
        config,
        logger: logger.child({ module: m.name }),
        db: database.db,
        transaction: database.transaction,
        outbox: createOutbox(m.schema, outboxSignal),
        jobs: adapters.jobs,
        cache: adapters.cache,
        rateLimiter: adapters.rateLimiter,
        locks: adapters.locks,
        access,
        sealer,
      },
    ]);

    const has = (role: string) => config.roles.includes(role as never);
    for (const [m, ctx] of contexts) await m.init?.(ctx);
    if (has('worker')) subscribeRevocations(adapters.bus, access, logger);
    for (const [m, ctx] of contexts) {
      if (has('http') && m.http) {
        const register = m.http;
        await server.register(async (scope) => register(scope as App, ctx));
      }
      if (has('worker') && m.worker) {
        const consumers = await m.worker(ctx);
        subscribeConsumers({ bus: adapters.bus, transaction: database.transaction, schema: m.schema, group: m.name, consumers, logger: ctx.logger });
      }
    }
    await server.ready();

    // Every process relays its own modules' outboxes, whatever its roles: an event must not wait
    // for some other process to come along. Replicas share the rows (SKIP LOCKED).
    const relay = createOutboxRelay({
      db: database.db,
      schemas: modules.map((m) => m.schema),
      signal: outboxSignal,
      bus: adapters.bus,
      logger,
      pollMs: config.outbox.pollMs,
    });

    // Each part is added to the cleanups as soon as it runs, so a start that fails half-way stops
    // what it started. Cleanups run in reverse: schedulers, relay, bus, jobs, then the pools.
    if (has('worker')) {
      await adapters.jobs.start();
      onStop('job queue', () => adapters.jobs.stop());
      await adapters.bus.start();
      onStop('event bus', () => adapters.bus.stop());
    }
    await relay.start();
    onStop('outbox relay', () => relay.stop());
    if (has('scheduler')) {
      for (const [m, ctx] of contexts) {
        if (!m.scheduler) continue;
        const s = await m.scheduler(ctx);
        onStop(`${m.name} scheduler`, () => s.stop());
      }
    }

    let stopping: Promise<void> | undefined;
    const evently: Evently = {
      config,
      logger,
      app: server,
      database,
      adapters,
      relay,
      outboxSignal,
      modules,
      url: undefined,
      async listen() {
        const address = await server.listen({ host: config.http.host, port: config.http.port });
        evently.url = address;
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
