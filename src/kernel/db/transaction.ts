import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Logger } from '../logger.js';

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  /** Default: read committed. */
  isolation?: IsolationLevel;
  /** Overrides DATABASE_LOCK_TIMEOUT_MS for this transaction (SET LOCAL; costs one round trip). */
  lockTimeoutMs?: number;
  /** Overrides DATABASE_STATEMENT_TIMEOUT_MS for this transaction (SET LOCAL; costs one round trip). */
  statementTimeoutMs?: number;
  /** Runs of `fn` in all, the first included, when it fails on a serialization failure or deadlock. */
  maxAttempts?: number;
}

/**
 * Runs `fn` in a transaction and returns its result once committed. `fn` may run more than once
 * (serialization failures and deadlocks are retried), so its only effects must be database writes
 * through `trx`; anything else belongs in an after-commit hook.
 */
export type Transact<DB = any> = <T>(fn: (trx: Transaction<DB>) => Promise<T>, options?: TransactionOptions) => Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any

type Hook = () => unknown;

/** The hooks of the transactions the helper runs, keyed by Kysely's transaction object. */
const hooksOf = new WeakMap<object, Hook[]>();

/**
 * Runs `hook` after `trx` commits, and never if it rolls back or is retried (a retried run registers
 * its hooks again). Hooks run in registration order, after the commit and before the transaction's
 * caller gets its result; one that fails is logged and does not undo the commit.
 */
export function afterCommit(trx: Transaction<any>, hook: Hook): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  const hooks = hooksOf.get(trx);
  if (!hooks) throw new Error('afterCommit needs a transaction started by the transaction helper (ctx.transaction)');
  hooks.push(hook);
}

/** True for a transaction the helper started: writes that must wake someone after commit check it. */
export function isHelperTransaction(trx: object): boolean {
  return hooksOf.has(trx);
}

/** serialization_failure, deadlock_detected: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

export function isRetryable(err: unknown): boolean {
  return RETRYABLE.has((err as { code?: string } | null)?.code ?? '');
}

const BASE_DELAY_MS = 5;
const DEFAULT_ATTEMPTS = 4;

/**
 * The one way modules write: every transaction is bounded by the connection's lock and statement
 * timeouts (set once per pooled connection, see createDatabase, so an ordinary transaction pays no
 * extra round trip; options override them with SET LOCAL), retried a bounded number of times with
 * full jitter on serialization failures and deadlocks, and followed by its after-commit hooks.
 */
export function createTransact(db: Kysely<any>, logger: Logger): Transact { // eslint-disable-line @typescript-eslint/no-explicit-any
  return async (fn, options = {}) => {
    const maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_ATTEMPTS);
    for (let attempt = 1; ; attempt++) {
      const hooks: Hook[] = [];
      try {
        const result = await db
          .transaction()
          .setIsolationLevel(options.isolation ?? 'read committed')
          .execute(async (trx) => {
            hooksOf.set(trx, hooks);
            await setLocalTimeouts(trx, options);
            return fn(trx);
          });
        await runHooks(hooks, logger);
        return result;
      } catch (err) {
        if (!isRetryable(err) || attempt >= maxAttempts) throw err;
        // Full jitter: colliding transactions spread out instead of colliding again in step.
        const delay = Math.random() * BASE_DELAY_MS * 2 ** attempt;
        logger.debug({ code: (err as { code?: string }).code, attempt, delay_ms: Math.round(delay) }, 'transaction conflict; retrying');
        await sleep(delay);
      }
    }
  };
}

async function setLocalTimeouts(trx: Transaction<unknown>, o: TransactionOptions): Promise<void> {
  const sets = [];
  if (o.lockTimeoutMs !== undefined) sets.push(sql`set_config('lock_timeout', ${`${Math.max(0, Math.round(o.lockTimeoutMs))}ms`}, true)`);
  if (o.statementTimeoutMs !== undefined) sets.push(sql`set_config('statement_timeout', ${`${Math.max(0, Math.round(o.statementTimeoutMs))}ms`}, true)`);
  if (sets.length) await sql`select ${sql.join(sets)}`.execute(trx);
}

async function runHooks(hooks: Hook[], logger: Logger): Promise<void> {
  for (const hook of hooks) {
    try {
      await hook();
    } catch (err) {
      logger.error({ err }, 'after-commit hook failed (the transaction is committed)');
    }
  }
}
