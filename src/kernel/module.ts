import type { Config, ModuleName } from './config/index.js';
import type { Logger } from './logger.js';
import type { Db, Tx } from './db/database.js';
import type { Transact } from './db/transaction.js';
import type { Outbox } from './messaging/outbox.js';
import type { DomainEvent } from './messaging/types.js';
import type { JobQueue } from './jobs/types.js';
import type { Cache } from './cache/types.js';
import type { RateLimiter } from './ratelimit/types.js';
import type { LockManager } from './lock/types.js';
import type { App } from './http/server.js';
import type { Access } from './auth/access.js';
import type { Sealer } from './sealing.js';

/** What a module gets from the composition root: its slice of the platform, nothing global. */
export interface ModuleContext {
  config: Config;
  logger: Logger;
  db: Db;
  /** Every write goes through this helper: timeouts, retried conflicts, after-commit hooks. */
  transaction: Transact;
  /** This module's outbox: write events in the same transaction as the change they report. */
  outbox: Outbox;
  jobs: JobQueue;
  cache: Cache;
  rateLimiter: RateLimiter;
  locks: LockManager;
  /** Route guards (`requireAuth`, `requireRole`) verifying access tokens and revocations. */
  access: Access;
  /** Encrypts secrets that travel in events (one-time codes); every process shares the key. */
  sealer: Sealer;
}

/** Reacts to another module's events. Runs inside a transaction that also records the event id. */
export interface Consumer {
  /** Stable name: the inbox remembers which events this consumer applied. */
  name: string;
  topics: string[];
  handle(event: DomainEvent, trx: Tx): Promise<void>;
}

export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * A module is one service of SPEC §1. The same definition runs in the all-in-one process or in its
 * own process; which parts start depends on the roles the process plays.
 */
export interface ModuleDefinition {
  name: ModuleName;
  description: string;
  /** Its own PostgreSQL schema (never read or written by another module). */
  schema: string;
  /** Folder of its SQL migrations, or null when it has only the platform tables. */
  migrationsDir: string | null;
  /** Runs once at start in every process that runs the module, before any role (keys, bootstrap data). */
  init?(ctx: ModuleContext): Promise<void> | void;
  /** Role `http`: register routes (paths under the module's own prefixes). */
  http?(app: App, ctx: ModuleContext): Promise<void> | void;
  /** Role `worker`: event consumers; job handlers are registered on ctx.jobs here too. */
  worker?(ctx: ModuleContext): Consumer[] | Promise<Consumer[]>;
  /** Role `scheduler`: timed work (sweeps); returns what to stop at shutdown. */
  scheduler?(ctx: ModuleContext): Stoppable | Promise<Stoppable>;
}
