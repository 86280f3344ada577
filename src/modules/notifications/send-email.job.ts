import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentJobError, type JobContext, type JobHandler, type Logger, type Sealer, type Transact, type Tx } from '../../kernel/index.js';
import {
  claimMail,
  CODE_EXPIRED,
  codeExpired,
  findMail,
  giveUpInterrupted,
  isCodeMail,
  lockMail,
  mailJobId,
  markFailed,
  markSent,
  OUTCOME_UNKNOWN,
  RECIPIENT_DELETED,
  releaseClaim,
  requeueInterrupted,
  type MailKey,
} from './mail-log.repository.js';
import { isSingleAddress, MailDeliveryError, type MailMessage, type Mailer } from './mailer.js';
import { findRecipient } from './recipients.repository.js';
import { findEvent, isLiveAttendee } from './catalogue.repository.js';

const NO_LONGER_ATTENDING = 'the recipient no longer holds seats for the event';
import { isTemplateName, renderMail, TemplateDataError } from './mail.templates.js';

type Prepared =
  | { kind: 'claimed'; claimId: string; message: MailMessage }
  | { kind: 'sent' | 'skipped' | 'missing' }
  | { kind: 'permanent'; error: Error };

interface Deps {
  transaction: Transact;
  mailer: Mailer;
  logger: Logger;
  sealer: Sealer;
  /** RECORD_RETRY_DELAYS_MS unless given (tests). */
  recordRetryDelaysMs?: readonly number[];
}

/**
 * Retries of one database write after the server has answered, before the attempt gives up: long
 * enough to outlast a database restart (an unrecorded send is an unknown outcome).
 */
const RECORD_RETRY_DELAYS_MS = [100, 500, 2_000, 5_000, 10_000];

/**
 * Sends one mail_log row, at most once.
 *
 * 1. A short transaction under the mail's lock checks the row and claims it (status 'sending',
 *    a claim id) and commits: no transaction and no pooled connection is held while the SMTP server
 *    is talked to.
 * 2. The message goes to the server.
 * 3. A short transaction records the outcome: sent (with the dev mailbox copy), queued again for a
 *    retry, or failed. A failing write is retried in place for a few seconds.
 *
 * If step 3 never happens (the process dies, the database stays away), the row stays 'sending'. A
 * later run (or the sweep) then marks a code mail failed with OUTCOME_UNKNOWN instead of sending it
 * again: the server may have the mail, and mailing a code twice is worse than once not at all (a
 * user can ask for a new code; a human can requeue the row). Any other mail is sent again with the
 * same Message-ID (made from its key), which the recipient's mail system takes for the same
 * message: a booking confirmation must not be lost to a crash. With no SMTP server (the dev mailbox alone) there
 * is nothing outside the database, so the copy and the row commit in the one transaction of step 1.
 *
 * Temporary failures throw so the queue retries with backoff; permanent ones mark the row failed
 * and throw PermanentJobError so the job goes straight to the dead-letter set.
 */
export function sendEmailJob(deps: Deps): JobHandler<MailKey> {
  return async (key, ctx) => {
    const log = { event_id: key.event_id, user_id: key.user_id, template: key.template, attempt: ctx.attempt };
    const prepared = await deps.transaction((trx) => prepare(trx, key, deps));
    switch (prepared.kind) {
      case 'sent':
        deps.logger.info(log, 'mail sent');
        return 'done';
      case 'skipped':
        return 'skipped';
      case 'missing':
        // The consumer's transaction rolled back after enqueueing; its redelivery writes the row again.
        throw new Error(`mail ${key.template} of event ${key.event_id} is not in mail_log (yet)`);
      case 'permanent':
        throw new PermanentJobError(prepared.error.message, { cause: prepared.error });
      case 'claimed':
        return deliver(key, prepared.claimId, prepared.message, ctx, deps, log);
    }
  };
}

/** Step 1: everything that can be decided in the database, then the claim. */
async function prepare(trx: Tx, key: MailKey, deps: Deps): Promise<Prepared> {
  const fail = async (error: Error): Promise<Prepared> => {
    await markFailed(trx, key, error.message, { attempt: true });
    return { kind: 'permanent', error };
  };
  await lockMail(trx, key);
  const row = await findMail(trx, key);
  if (!row) return { kind: 'missing' };
  // Final rows are never sent again by a job (a replayed event, a sweep, a dead job retried by
  // hand): a human who wants a failed mail sent sets it back to 'queued' and the sweep does the rest.
  if (row.status === 'sent' || row.status === 'failed') return { kind: 'skipped' };
  if (row.status === 'sending') {
    // See sendEmailJob: an earlier run claimed it and never recorded the outcome.
    const where = { event_id: key.event_id, user_id: key.user_id, template: key.template, claimed_at: row.claimed_at };
    if (isCodeMail(row.data)) {
      deps.logger.error(where, 'code mail send was interrupted: outcome unknown, not sent again');
      await giveUpInterrupted(trx, key, row.claim_id);
      return { kind: 'permanent', error: new Error(OUTCOME_UNKNOWN) };
    }
    deps.logger.warn(where, 'mail send was interrupted: sending it again with the same Message-ID');
    await requeueInterrupted(trx, key, row.claim_id);
  }

  const recipient = await findRecipient(trx, row.user_id);
  if (recipient?.deleted_at) {
    // The account is gone: no mail to it any more. Not an error that needs a dead letter.
    await markFailed(trx, key, RECIPIENT_DELETED, { forgetAddress: true });
    return { kind: 'skipped' };
  }
  if (codeExpired(row.data)) {
    // A code that no longer works must not reach anyone (the sweep revived a job late, a long outage).
    await markFailed(trx, key, CODE_EXPIRED);
    return { kind: 'skipped' };
  }
  // Only an address an event gave us: never a guessed one.
  const to = row.to_email ?? recipient?.email;
  if (!to) return fail(new Error(`no email address known for user ${row.user_id}`));
  if (!isSingleAddress(to)) return fail(new MailDeliveryError(`refused recipient ${JSON.stringify(to)}: not a single plain address`, true));
  if (!isTemplateName(row.template)) return fail(new Error(`unknown template ${row.template}`));
  let data = row.data;
  if (typeof data.otp_sealed === 'string') {
    // The code stays sealed at rest; it is opened only to render this one message.
    try {
      data = { ...data, otp: await deps.sealer.open(data.otp_sealed) };
    } catch {
      return fail(new Error('the code cannot be opened: EVENT_SEALING_KEY differs between auth and notifications'));
    }
  }
  let event;
  if (typeof data.event_id === 'string') {
    event = await findEvent(trx, data.event_id);
    // The catalogue's messages come on another stream than bookings': wait for them (retried, then revived by the sweep).
    if (!event) throw new Error(`event ${data.event_id} is not known to notifications yet`);
    // Told of a change only while still holding seats (a cancellation may have come after the change).
    if (row.template === 'event_changed' && !(await isLiveAttendee(trx, data.event_id, row.user_id))) {
      await markFailed(trx, key, NO_LONGER_ATTENDING);
      return { kind: 'skipped' };
    }
  }
  let message: MailMessage;
  try {
    message = { to, template: row.template, key: mailJobId(key), ...renderMail(row.template, { name: recipient?.name ?? recipient?.username ?? null, data, event }) };
  } catch (err) {
    if (err instanceof TemplateDataError) return fail(err);
    throw err;
  }

  if (!deps.mailer.send) {
    // Nothing leaves the database: the copy and the row commit together or not at all.
    const { messageId } = await deps.mailer.keep!(message, trx);
    await markSent(trx, key, null, messageId);
    return { kind: 'sent' };
  }
  const claimId = await claimMail(trx, key);
  // Not queued any more cannot happen under the lock; skipping is the safe answer anyway.
  return claimId ? { kind: 'claimed', claimId, message } : { kind: 'skipped' };
}

/** Steps 2 and 3, outside any transaction but the short ones that record the outcome. */
async function deliver(key: MailKey, claimId: string, message: MailMessage, ctx: JobContext, deps: Deps, log: object): Promise<'done'> {
  const record = (what: string, write: (trx: Tx) => Promise<unknown>) => retryWrite(() => deps.transaction(write), what, deps.logger, log, deps.recordRetryDelaysMs ?? RECORD_RETRY_DELAYS_MS);
  let messageId: string;
  try {
    ({ messageId } = await deps.mailer.send!(message));
  } catch (err) {
    // The Mailer contract: a throw means the mail did not go out.
    const error = err instanceof Error ? err : new Error(String(err));
    if (err instanceof MailDeliveryError && err.permanent) {
      await record('mark failed', (trx) => markFailed(trx, key, error.message, { claimId }));
      throw new PermanentJobError(error.message, { cause: error });
    }
    if (err instanceof MailDeliveryError && ctx.attempt >= ctx.maxAttempts) {
      // The server kept refusing: the row says what happened; the job goes to the dead-letter set.
      await record('mark failed', (trx) => markFailed(trx, key, error.message, { claimId }));
    } else {
      // Anything else (a bug, a dependency) leaves the row queued even after the last attempt: the
      // sweep revives the dead job once the cause is gone.
      await record('release the claim', (trx) => releaseClaim(trx, key, claimId, error.message));
    }
    throw error;
  }
  // The server has the mail. If this never commits, the row stays 'sending' and is never sent again.
  await record('mark sent', async (trx) => {
    const kept = deps.mailer.keep ? await deps.mailer.keep(message, trx) : undefined;
    if (!(await markSent(trx, key, claimId, messageId))) deps.logger.warn({ ...log, messageId, kept: kept?.messageId }, 'mail sent but its row was no longer claimed by this run');
  });
  deps.logger.info({ ...log, messageId }, 'mail sent');
  return 'done';
}

async function retryWrite<T>(write: () => Promise<T>, what: string, logger: Logger, log: object, delays: readonly number[]): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await write();
    } catch (err) {
      const delay = delays[i];
      if (delay === undefined) throw err;
      logger.warn({ ...log, err }, `mail: could not ${what}: trying again`);
      await sleep(delay);
    }
  }
}
