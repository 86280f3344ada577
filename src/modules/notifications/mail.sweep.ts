import type { Db, JobQueue, Logger, Stoppable } from '../../kernel/index.js';
import { enqueueMail } from './mail.consumer.js';
import { listQueuedBefore } from './mail-log.repository.js';

/** A row queued for longer than this without being sent is suspected of having lost its job. */
export const STALE_AFTER_MS = 60_000;
const BATCH = 200;

/**
 * Re-enqueues every mail still queued after STALE_AFTER_MS. A row whose job is merely waiting or
 * backing off costs one deduplicated enqueue; a row whose job was lost gets a new one. Safe to run
 * in several schedulers at once for the same reason. Returns how many jobs it created.
 */
export async function sweepQueuedMail(db: Db, jobs: JobQueue, o: { now?: Date; batch?: number } = {}): Promise<number> {
  const olderThan = new Date((o.now ?? new Date()).getTime() - STALE_AFTER_MS);
  const batch = o.batch ?? BATCH;
  let created = 0;
  let after: Awaited<ReturnType<typeof listQueuedBefore>>[number] | undefined;
  for (;;) {
    const rows = await listQueuedBefore(db, olderThan, batch, after);
    for (const row of rows) {
      if ((await enqueueMail(jobs, row)).created) created++;
    }
    if (rows.length < batch) return created;
    after = rows[rows.length - 1];
  }
}

/** Runs the sweep every `intervalMs`; a failing sweep is logged and tried again at the next tick. */
export function startMailSweep(o: { db: Db; jobs: JobQueue; logger: Logger; intervalMs?: number }): Stoppable {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = sweepQueuedMail(o.db, o.jobs)
      .then((created) => {
        if (created) o.logger.warn({ created }, 'mail sweep re-enqueued mails whose job was lost');
      })
      .catch((err: Error) => o.logger.error({ err }, 'mail sweep failed'))
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, o.intervalMs ?? 30_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
