import pg from 'pg';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from './logger.js';

/**
 * Timed work of a module or of the platform (sweeps, cleanups). Written here rather than taken from
 * a scheduler library because what it needs is small and specific: a run never overlaps the last,
 * replicas spread out (jitter) or take turns (an advisory lock), and a stop waits for the run in
 * flight; BullMQ's repeatable jobs would need Redis, which the all-in-one mode does without.
 */
export interface PeriodicTask {
  /** Stable, unique in the process: names the metrics, the logs and the advisory lock. */
  name: string;
  everyMs: number;
  /** Aborted at shutdown: a long run should check it between steps. */
  run(signal: AbortSignal): Promise<unknown>;
  /**
   * Run by one replica at a time (a PostgreSQL advisory lock held for the run): for work that
   * several replicas would only repeat. Others skip that turn.
   */
  singleton?: boolean;
  /** Also run right after start (default: first run after one interval). */
  runAtStart?: boolean;
}

export interface Periodic {
  /** Runs a task now (tests; an admin action), waiting for a run in flight first. */
  runNow(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** Spreads replicas started together: each interval is ±10 % of everyMs. */
const JITTER = 0.1;
/** The advisory-lock namespace of periodic tasks (the second key is a hash of the task name). */
const LOCK_NAMESPACE = 0x45564e54; // 'EVNT'

export interface PeriodicMetrics {
  runs: Counter<'task' | 'outcome'>;
  lastRun: Gauge<'task'>;
  duration: Gauge<'task'>;
}

export function periodicMetrics(registry: Registry): PeriodicMetrics {
  return {
    runs: new Counter({ name: 'evently_task_runs_total', help: 'Runs of periodic tasks by outcome (ok, failed, skipped: another replica held the turn)', labelNames: ['task', 'outcome'], registers: [registry] }),
    lastRun: new Gauge({ name: 'evently_task_last_run_timestamp_seconds', help: 'When a periodic task last finished (ok or failed)', labelNames: ['task'], registers: [registry] }),
    duration: new Gauge({ name: 'evently_task_last_duration_seconds', help: 'How long the last run of a periodic task took', labelNames: ['task'], registers: [registry] }),
  };
}

/**
 * `databaseUrl`: where singleton tasks take their advisory lock, on a connection of their own (not
 * the pool's: a task holding a pooled connection for its whole run could starve itself and others).
 */
export function startPeriodic(tasks: readonly PeriodicTask[], o: { databaseUrl: string; logger: Logger; metrics?: PeriodicMetrics }): Periodic {
  const names = new Set<string>();
  for (const t of tasks) {
    if (names.has(t.name)) throw new Error(`periodic task ${t.name} is declared twice`);
    names.add(t.name);
  }
  const ctl = new AbortController();
  const running = new Map<string, Promise<void>>();
  const timers = new Map<string, NodeJS.Timeout>();
  const log = o.logger.child({ component: 'periodic' });

  async function withTurn(task: PeriodicTask): Promise<boolean> {
    if (!task.singleton) {
      await task.run(ctl.signal);
      return true;
    }
    // A session-level lock, held for the run on a connection of its own (not a transaction: the
    // task writes through the pool, and a long idle transaction would be cut off by the server).
    const client = new pg.Client({ connectionString: o.databaseUrl, application_name: `evently-task-${task.name}`.slice(0, 63) });
    client.on('error', () => undefined); // a lost connection releases the lock; the task's own writes report their errors
    await client.connect();
    try {
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1, hashtext($2)) as ok', [LOCK_NAMESPACE, task.name]);
      if (!rows[0]?.ok) return false;
      await task.run(ctl.signal);
      return true;
    } finally {
      // Ending the session releases the lock.
      await client.end().catch(() => undefined);
    }
  }

  function runOnce(task: PeriodicTask): Promise<void> {
    const current = running.get(task.name);
    if (current) return current;
    const started = performance.now();
    const p = withTurn(task)
      .then((ran) => {
        if (!ran) return void o.metrics?.runs.inc({ task: task.name, outcome: 'skipped' });
        o.metrics?.runs.inc({ task: task.name, outcome: 'ok' });
        finished(task, started);
      })
      .catch((err: unknown) => {
        o.metrics?.runs.inc({ task: task.name, outcome: 'failed' });
        finished(task, started);
        log.warn({ task: task.name, err }, 'periodic task failed; it runs again at its next turn');
      })
      .finally(() => running.delete(task.name));
    running.set(task.name, p);
    return p;
  }

  function finished(task: PeriodicTask, started: number): void {
    o.metrics?.lastRun.set({ task: task.name }, Date.now() / 1000);
    o.metrics?.duration.set({ task: task.name }, (performance.now() - started) / 1000);
  }

  function schedule(task: PeriodicTask, delayMs: number): void {
    if (ctl.signal.aborted) return;
    const timer = setTimeout(() => {
      void runOnce(task).finally(() => schedule(task, jittered(task.everyMs)));
    }, delayMs);
    timer.unref();
    timers.set(task.name, timer);
  }

  for (const task of tasks) schedule(task, task.runAtStart ? 0 : jittered(task.everyMs));

  return {
    async runNow(name) {
      const task = tasks.find((t) => t.name === name);
      if (!task) throw new Error(`no periodic task ${name}`);
      await running.get(name);
      await runOnce(task);
    },
    async stop() {
      ctl.abort();
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.allSettled([...running.values()]);
    },
  };
}

function jittered(ms: number): number {
  return Math.max(1, Math.round(ms * (1 - JITTER + Math.random() * 2 * JITTER)));
}
