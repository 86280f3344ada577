import type { Db, JobQueue, Logger, PeriodicTask } from '../../kernel/index.js';
import { enqueueMail, SEND_EMAIL_JOB } from './mail.consumer.js';
import { CODE_EXPIRED, codeExpired, giveUpStaleClaims, listQueuedBefore, markFailed } from './mail-log.repository.js';

/** A row queued for longer than this without being sent is suspected of having lost its job. */
export const STALE_AFTER_MS = 60_000;
/**
 * A claim older than this belongs to a run that died: a send is bounded by the SMTP timeouts
 * (10 s connect, 10 s greeting, 20 s idle socket) plus a few seconds of retried database writes.
 */
export const STALE_CLAIM_AFTER_MS = 15 * 60_000;
const BATCH = 200;

export interface SweepResult {
  /** Jobs enqueued for rows that had none. */
  created: number;
  /** Dead jobs of rows still queued, moved back to waiting. */
  revived: number;
  /** Queued rows whose code had expired, failed instead of sent. */
  expired: number;
  /** Code mails left 'sending' by a run that died, failed with an unknown outcome (never sent again). */
  abandoned: number;
  /** Other mails left 'sending' by a run that died, queued to be sent again under the same Message-ID. */
  requeued: number;
}

/**
 * Every mail still queued after STALE_AFTER_MS gets a job that will run: a new one when its job was
 * lost, its dead job revived when the job failed its last attempt without giving up on the row (a
 * database outage longer than the retries, a stalled job). Re-enqueueing an id the queue still
 * knows is a no-op (created: false), which is why a dead job must be retried rather than enqueued.
 * A row whose code has expired is failed (code removed) instead. Safe to run in several
 * schedulers at once: enqueue dedupes, retryDead moves a dead job once, the updates are conditional.
 */
export async function sweepMail(db: Db, jobs: JobQueue, o: { now?: Date; batch?: number } = {}): Promise<SweepResult> {
  const now = o.now ?? new Date();
  const olderThan = new Date(now.getTime() - STALE_AFTER_MS);
  const batch = o.batch ?? BATCH;
  const result: SweepResult = { created: 0, revived: 0, expired: 0, abandoned: 0, requeued: 0 };
  Object.assign(result, await giveUpStaleClaims(db, new Date(now.getTime() - STALE_CLAIM_AFTER_MS)));
  let after: Awaited<ReturnType<typeof listQueuedBefore>>[number] | undefined;
  for (;;) {
    const rows = await listQueuedBefore(db, olderThan, batch, after);
    for (const row of rows) {
      if (codeExpired(row.data, now)) {
        await markFailed(db, row, CODE_EXPIRED);
        result.expired++;
        continue;
      }
      const { id, created } = await enqueueMail(jobs, row);
      if (created) result.created++;
      else if (await jobs.retryDead(SEND_EMAIL_JOB, id)) result.revived++;
    }
    if (rows.length < batch) return result;
    after = rows[rows.length - 1];
  }
}

/** sweepMail, answering how many jobs it started (created or revived). */
export async function sweepQueuedMail(db: Db, jobs: JobQueue, o: { now?: Date; batch?: number } = {}): Promise<number> {
  const r = await sweepMail(db, jobs, o);
  return r.created + r.revived;
}

/**
 * The sweep as a periodic task (every 30 s; safe in several schedulers at once, see sweepMail). A
 * failing sweep is logged by the periodic helper and runs again at its next turn.
 */
export function mailSweepTask(o: { db: Db; jobs: JobQueue; logger: Logger }): PeriodicTask {
  return {
    name: 'notifications.mail-sweep',
    everyMs: 30_000,
    async run() {
      const r = await sweepMail(o.db, o.jobs);
      if (r.created || r.revived) o.logger.warn(r, 'mail sweep restarted mails whose job was lost or dead');
      if (r.abandoned) o.logger.error(r, 'mail sweep gave up on interrupted sends: outcome unknown, not sent again');
      else if (r.expired) o.logger.warn(r, 'mail sweep failed mails whose code expired before they were sent');
    },
  };
}
