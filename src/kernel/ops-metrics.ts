import { sql } from 'kysely';
import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';
import { withTimeout, type Db } from './db/database.js';
import { quoteIdent } from './db/platform.sql.js';
import type { JobQueue } from './jobs/types.js';
import type { Logger } from './logger.js';
import type { FailedEvents } from './messaging/failed-events.js';
import type { EventBus } from './messaging/types.js';

const COLLECT_TIMEOUT_MS = 2_000;

/**
 * What an operator watches besides request rates: the database pool, each module's outbox backlog,
 * the bus's pending and failed deliveries per consumer group, and the job queues. Read at scrape
 * time (prom-client's collect), so nothing runs between scrapes; a source that cannot answer
 * leaves its gauges out of that scrape (logged) instead of failing /metrics.
 */
export function registerOperationalMetrics(registry: Registry, o: {
  pool: pg.Pool;
  db: Db;
  /** The outbox schemas this process relays (its modules'). */
  schemas: readonly string[];
  bus: EventBus;
  failed: FailedEvents;
  jobs: JobQueue;
  logger: Logger;
}): void {
  /**
   * A source that does not answer within COLLECT_TIMEOUT_MS (BullMQ waits for Redis indefinitely)
   * is left out of that scrape, its stale values cleared, and not asked again while its last read
   * is still pending: /metrics answers while Redis or PostgreSQL is away.
   */
  const guarded = <G extends { reset(): void }>(what: string, collect: (this: G) => Promise<void>) => {
    let inFlight: Promise<void> | undefined;
    return async function (this: G): Promise<void> {
      inFlight ??= collect.call(this).finally(() => (inFlight = undefined));
      try {
        await withTimeout(inFlight, COLLECT_TIMEOUT_MS, `${what} metrics did not answer`);
      } catch (err) {
        this.reset();
        o.logger.warn({ metric: what, err: (err as Error).message }, 'metric could not be read');
      }
    };
  };

  new Gauge({
    name: 'evently_db_pool_connections',
    help: 'PostgreSQL pool of this process: total and idle connections, and queries waiting for one',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, o.pool.totalCount);
      this.set({ state: 'idle' }, o.pool.idleCount);
      this.set({ state: 'waiting' }, o.pool.waitingCount);
    },
  });

  // One query per scrape serves both outbox gauges (a registry collects its metrics concurrently).
  let outboxRead: Promise<{ module: string; n: number; age: number }[]> | undefined;
  const readOutboxes = () => {
    // Shared while in flight only: the gauges of one scrape ask together, the next scrape reads anew.
    if (!outboxRead) {
      outboxRead = Promise.all(o.schemas.map(async (schema) => {
          // The partial index of unpublished rows keeps this cheap however large the outbox grows.
          const { rows } = await sql<{ n: number; age: number | null }>`
            select count(*)::int as n, extract(epoch from now() - min(occurred_at))::float8 as age
            from ${sql.raw(`${quoteIdent(schema)}.outbox`)} where published_at is null`.execute(o.db);
          return { module: schema, n: rows[0]!.n, age: rows[0]!.age ?? 0 };
      })).finally(() => (outboxRead = undefined));
    }
    return outboxRead;
  };
  new Gauge({
    name: 'evently_outbox_backlog',
    help: 'Events written to a module outbox and not published to the bus yet (the same in every replica: take the max, not the sum)',
    labelNames: ['module'],
    registers: [registry],
    collect: guarded('outbox', async function (this: Gauge<'module'>) {
      for (const r of await readOutboxes()) this.set({ module: r.module }, r.n);
    }),
  });
  new Gauge({
    name: 'evently_outbox_oldest_unpublished_age_seconds',
    help: 'Age of the oldest unpublished event of a module outbox, 0 when none (the same in every replica)',
    labelNames: ['module'],
    registers: [registry],
    collect: guarded('outbox', async function (this: Gauge<'module'>) {
      for (const r of await readOutboxes()) this.set({ module: r.module }, r.age);
    }),
  });

  new Gauge({
    name: 'evently_bus_pending',
    help: 'Events delivered to a consumer group and not acknowledged yet (Redis: the whole group, the same in every replica; in-process: this process)',
    labelNames: ['group'],
    registers: [registry],
    collect: guarded('bus pending', async function (this: Gauge<'group'>) {
      for (const { group, pending } of await o.bus.pending()) this.set({ group }, pending);
    }),
  });

  new Gauge({
    name: 'evently_bus_failed_events',
    help: 'Deliveries a consumer group could not complete: waiting for a retry (retrying) or given up (dead; evently events dead); the same in every replica',
    labelNames: ['group', 'status'],
    registers: [registry],
    collect: guarded('failed events', async function (this: Gauge<'group' | 'status'>) {
      this.reset(); // a group whose failures were all resolved disappears instead of staying at its last count
      for (const c of await o.failed.counts()) this.set({ group: c.group, status: c.status }, c.count);
    }),
  });

  new Gauge({
    name: 'evently_jobs',
    help: 'Background jobs by name and state: waiting, delayed (a retry waiting its backoff), active, dead',
    labelNames: ['job', 'state'],
    registers: [registry],
    collect: guarded('jobs', async function (this: Gauge<'job' | 'state'>) {
      for (const c of await o.jobs.counts()) {
        for (const state of ['waiting', 'delayed', 'active', 'dead'] as const) this.set({ job: c.name, state }, c[state]);
      }
    }),
  });
}
