import type { Kysely, Transaction } from 'kysely';
import type { ModuleName, ModuleSettings, PlatformConfig } from './config/index.js';
import type { Logger } from './logger.js';
import type { Transact } from './db/transaction.js';
import type { ErrorTable } from './errors.js';
import type { Outbox } from './messaging/outbox.js';
import type { DomainEvent } from './messaging/types.js';
import type { JobHandler, JobQueue } from './jobs/types.js';
import type { Cache } from './cache/types.js';
import type { Signals } from './messaging/signals.js';
import type { RateLimiter } from './ratelimit/types.js';
import type { App } from './http/server.js';
import type { Access } from './auth/access.js';
import type { Sealer } from './sealing.js';
import type { PeriodicTask } from './periodic.js';
import type { Registry } from 'prom-client';

/**
 * What a module is made from: its own config slice and its share of the platform, nothing global
 * (no other module's settings or secrets, no other module's tables in its database type).
 */
export interface ModuleContext<C = unknown, DB = unknown> {
  name: ModuleName;
  /** The module's settings slice (ModuleSettings.slice), frozen. */
  config: C;
  /** What every module may know of the platform: mode, roles, token settings. No secrets. */
  platform: Pick<PlatformConfig, 'env' | 'modules' | 'roles' | 'allInOne' | 'tokens'>;
  logger: Logger;
  /** Reads; typed by the module's own tables. */
  db: Kysely<DB>;
  /** Every write goes through this helper: timeouts, retried conflicts, after-commit hooks. */
  transaction: Transact<DB>;
  /** This module's outbox: write events in the same transaction as the change they report. */
  outbox: Outbox;
  jobs: JobQueue;
  cache: Cache;
  /** Fan-out of hints to every process running the module (live views re-read on them). */
  signals: Signals;
  rateLimiter: RateLimiter;
  /** Route guards (`requireAuth`, `requireRole`) verifying access tokens and revocations. */
  access: Access;
  /** Encrypts secrets that travel in events (one-time codes); every process shares the key. */
  sealer: Sealer;
  /** The process's Prometheus registry: a module's own metrics go here (served on /metrics). */
  metrics: Registry;
}

/** Reacts to another module's events. Runs inside a transaction that also records the event id. */
export interface Consumer {
  /** Stable name: the inbox remembers which events this consumer applied. */
  name: string;
  topics: string[];
  handle(event: DomainEvent, trx: Transaction<any>): Promise<void>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface JobRegistration {
  name: string;
  handler: JobHandler<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  concurrency?: number;
}

/** What a module gives the process; which parts start depends on the roles the process plays. */
export interface ModuleParts {
  /** Role `http`: routes under the module's own path prefixes. */
  routes?(app: App): void | Promise<void>;
  /** Role `worker`: event consumers (one consumer group per module). */
  consumers?: Consumer[];
  /** Role `worker`: job handlers. */
  jobs?: JobRegistration[];
  /** Role `scheduler`: periodic work, run by the kernel's periodic helper. */
  tasks?: PeriodicTask[];
}

/**
 * A module is one service of SPEC §1. The same definition runs in the all-in-one process or in its
 * own process. `create` runs once per process that runs the module, before any role starts (keys,
 * bootstrap data); it builds the module's parts from its context and keeps no state elsewhere.
 */
export interface ModuleDefinition<C = any, DB = any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  name: ModuleName;
  description: string;
  /** Its own PostgreSQL schema (never read or written by another module). */
  schema: string;
  /** Folder of its SQL migrations, or null when it has only the platform tables. */
  migrationsDir: string | null;
  /** Its own settings (merged into the one settings table) and the slice it is given. */
  settings?: ModuleSettings<C>;
  /** Its own error codes (merged into the one code table). */
  errors?: ErrorTable;
  create(ctx: ModuleContext<C, DB>): ModuleParts | Promise<ModuleParts>;
}

/** Declares a module with its config and table types inferred for `create`. */
export function defineModule<C, DB>(definition: ModuleDefinition<C, DB>): ModuleDefinition<C, DB> {
  return definition;
}
