import { randomUUID } from 'node:crypto';
import type { RedisClient as Redis } from '../redis.js';
import { pino } from 'pino';
import { before, after } from '../../../test/support/suite.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { newRedis, SINGLE_REDIS, type RedisTestTarget } from '../../../test/support/redis.js';
import { createDatabase, type Database } from '../db/database.js';
import { migratePlatform } from '../db/migrate.js';
import type { Logger } from '../logger.js';
import { createMemoryBus, type MemoryEventBus } from './bus.memory.js';
import { createRedisBus, type RedisBusOptions } from './bus.redis.js';
import { createFailedEvents, type FailedEvents } from './failed-events.js';
import type { DomainEvent, EventBus, EventHandler } from './types.js';

/** Test helpers shared by the bus suites (not a test file itself). */

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export function makeEvent(type: string, payload: unknown = {}, correlationId: string | null = 'req-test'): DomainEvent {
  return { id: randomUUID(), type, version: 1, occurredAt: new Date().toISOString(), correlationId, payload };
}

export interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A handler that records what it was given, optionally taking some time per event. */
export function recorder(delayMs = 0): { handler: EventHandler; seen: DomainEvent[]; ids(): string[] } {
  const seen: DomainEvent[] = [];
  return {
    seen,
    ids: () => seen.map((e) => e.id),
    handler: async (event) => {
      if (delayMs) await sleep(delayMs);
      seen.push(event);
    },
  };
}

export interface BusTuning {
  batchSize?: number;
}

/** One contract case's world: every bus it hands out shares one transport. */
export interface BusHarness {
  readonly name: 'memory' | 'redis';
  readonly logs: LogLine[];
  /** How long to keep watching for duplicates after the expected deliveries arrived. */
  readonly settleMs: number;
  /** The bus of one replica (process); the memory transport has one bus for all replicas. */
  bus(replica?: string, tuning?: BusTuning): EventBus;
  close(): Promise<void>;
}

/** Fast retries for the suites: 20 ms, doubling, looked for every 20 ms. */
export const FAST_RETRY = { retry: { baseDelayMs: 20, maxDelayMs: 200 }, retryPollMs: 20 } as const;

/**
 * The real failed-events store for a suite: its own database with the platform schema, created
 * before the suite and dropped after it. `clear()` empties it between cases.
 */
export function failedEventsForSuite(): { store(): FailedEvents; database(): Database } {
  let tdb: TestDatabase;
  let database: Database;
  let store: FailedEvents;
  const { logger } = captureLogger();
  before(async () => {
    tdb = await createTestDatabase();
    database = createDatabase({ url: tdb.url, poolMax: 8, logger });
    await migratePlatform(database.db, logger);
    store = createFailedEvents(database.db);
  });
  after(async () => {
    await database?.close();
    await tdb?.drop();
  });
  return { store: () => store, database: () => database };
}

export function memoryHarness(failed: FailedEvents, tuning: { maxAttempts?: number } = {}): BusHarness {
  const { logger, lines } = captureLogger();
  let bus: MemoryEventBus | undefined;
  return {
    name: 'memory',
    logs: lines,
    settleMs: 50,
    bus: () => (bus ??= createMemoryBus({ logger, failed, ...FAST_RETRY, retry: { ...FAST_RETRY.retry, ...tuning } })),
    close: async () => bus?.stop(),
  };
}

export type RedisDefaults = Partial<Omit<RedisBusOptions, 'redis' | 'connect' | 'prefix' | 'consumerName' | 'logger' | 'failed'>>;

export interface RedisHarness extends BusHarness {
  readonly prefix: string;
  /** Opens a bus with explicit settings (tuning beyond the contract's). */
  redisBus(replica: string, overrides?: RedisDefaults): EventBus;
  /** The connections a replica's bus opened, e.g. to kill them. */
  connectionsOf(replica: string): Redis[];
  /** Drops a replica's connections without QUIT, as a dying process would. */
  crash(replica: string): void;
}

/** Small timings so redelivery tests take a fraction of a second. */
export function redisHarness(prefix: string, failed: FailedEvents, defaults: RedisDefaults = {}, target: RedisTestTarget = SINGLE_REDIS): RedisHarness {
  const { logger, lines } = captureLogger();
  const publisher = newRedis(target);
  const buses: EventBus[] = [];
  const conns = new Map<string, Redis[]>();
  const settings: RedisDefaults = { claimIdleMs: 200, blockMs: 100, ...FAST_RETRY, ...defaults };

  function redisBus(replica: string, overrides: RedisDefaults = {}): EventBus {
    const bus = createRedisBus({
      ...settings,
      ...overrides,
      redis: publisher,
      connect: () => {
        const conn = newRedis(target);
        conns.set(replica, [...(conns.get(replica) ?? []), conn]);
        return conn;
      },
      prefix,
      consumerName: replica,
      logger,
      failed,
    });
    buses.push(bus);
    return bus;
  }

  return {
    name: 'redis',
    prefix,
    logs: lines,
    settleMs: (settings.claimIdleMs ?? 200) * 2 + 100,
    bus: (replica = 'r1', tuning = {}) => redisBus(replica, tuning),
    redisBus,
    connectionsOf: (replica) => conns.get(replica) ?? [],
    crash(replica) {
      for (const conn of conns.get(replica) ?? []) conn.disconnect();
    },
    async close() {
      await Promise.all(buses.map((b) => b.stop()));
      const all = [...conns.values()].flat().filter((c) => c.status !== 'end');
      await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
      await publisher.quit();
    },
  };
}
