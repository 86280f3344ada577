import type { Logger } from '../logger.js';
import { unavailability } from '../unavailable.js';
import { errorMessage, eventLogFields, pause, runHandler } from './bus.shared.js';
import type { FailedEvents } from './failed-events.js';
import type { EventHandler } from './types.js';

export interface RetryPolicy {
  /** Attempts per event and group in all, the first delivery included. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles for each further one, up to maxDelayMs, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 500, maxDelayMs: 60_000 };

/** Delay before attempt `attempt + 1`: exponential, capped, with ±25 % jitter so retries spread out. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return exp * (0.75 + Math.random() * 0.5);
}

/** Between retries of an event whose handler met a database or Redis that was away. */
const AWAY_DELAY_MS = 10_000;
/** Claimed at a time: run one after the other, so a small batch keeps well inside the lease. */
const BATCH = 10;
/** A claimed retry belongs to this process for this long (a handler taking longer may run twice). */
const LEASE_MS = 300_000;

export interface RetryLoop {
  stop(): Promise<void>;
}

/**
 * Runs the failed deliveries of this process's groups when they fall due: automatic retries and
 * replayed dead letters alike. Every replica of a group runs one and they share the rows, so a
 * failing event is retried beside the group's normal flow and never holds it up.
 */
export function startRetryLoop(o: {
  failed: FailedEvents;
  handlers: ReadonlyMap<string, EventHandler>;
  policy: RetryPolicy;
  pollMs: number;
  logger: Logger;
}): RetryLoop {
  const ctl = new AbortController();
  const groups = [...o.handlers.keys()];

  async function once(): Promise<number> {
    const due = await o.failed.claimDue(groups, BATCH, LEASE_MS);
    for (const f of due) {
      if (ctl.signal.aborted) break; // the rest stays claimed until its lease ends, then runs again
      const handler = o.handlers.get(f.group);
      if (!handler || !f.event) continue;
      const fields = { ...eventLogFields(f.group, f.event), attempt: f.attempts };
      if (f.attempts > o.policy.maxAttempts) {
        // Claimed that often without an outcome: the process died while handling it, again and
        // again. Running it once more could crash it again.
        await o.failed.bury(f.group, { key: f.key, event: f.event }, `not finished after ${f.attempts - 1} attempts (the process may have died while handling it)`, f.attempts - 1);
        o.logger.error(fields, 'event dead-lettered: its handling never finished (evently events dead / replay)');
        continue;
      }
      try {
        await runHandler(handler, f.event);
        await o.failed.resolved(f.group, f.key);
        o.logger.info(fields, 'failed event handled on retry');
      } catch (err) {
        // A database or Redis that is away says nothing about the event: the attempt is given back.
        const away = unavailability(err) !== undefined;
        const status = await o.failed.failedAgain(f.group, f.key, errorMessage(err), {
          maxAttempts: o.policy.maxAttempts,
          // While a dependency is away the attempts stand still, so the delay does not grow with them.
          delayMs: away ? Math.min(o.policy.maxDelayMs, AWAY_DELAY_MS) * (0.75 + Math.random() * 0.5) : retryDelay(o.policy, f.attempts),
          counted: !away,
        });
        if (status === 'dead') o.logger.error({ ...fields, err }, 'event dead-lettered: its attempts are spent (evently events dead / replay)');
        else if (status) o.logger.warn({ ...fields, err }, away ? 'a dependency is away; retrying later' : 'event handler failed again; retrying later');
      }
    }
    return due.length;
  }

  const loop = (async () => {
    let failures = 0;
    while (!ctl.signal.aborted) {
      try {
        const n = await once();
        failures = 0;
        if (n === BATCH) continue; // more are due: no pause
      } catch (err) {
        failures++;
        o.logger.warn({ err: errorMessage(err), failures }, 'could not run failed-event retries; trying again later');
      }
      await pause(failures ? Math.min(30_000, o.pollMs * 2 ** Math.min(failures, 5)) : o.pollMs, ctl.signal);
    }
  })();

  return {
    async stop() {
      ctl.abort();
      await loop;
    },
  };
}
