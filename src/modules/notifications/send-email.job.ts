import { PermanentJobError, type Db, type JobContext, type JobHandler, type Logger, type Tx } from '../../kernel/index.js';
import { findMail, lockMail, markFailed, markSent, recordFailedAttempt, type MailKey, type MailRow } from './mail-log.repository.js';
import { MailDeliveryError, type Mailer } from './mailer.js';
import { findRecipient } from './recipients.repository.js';
import { isTemplateName, renderMail, TemplateDataError } from './mail.templates.js';

type Outcome =
  | { kind: 'sent' | 'skipped' }
  | { kind: 'missing' }
  | { kind: 'permanent' | 'temporary'; error: Error };

/**
 * Sends one mail_log row. The whole attempt runs in one transaction under the mail's lock, so the
 * row is marked sent at most once and a mail already sent is never sent again by a duplicate job.
 * (A crash between the server's OK and the commit can still repeat a mail: SMTP has no transactions.)
 * Temporary failures throw so the queue retries with backoff; permanent ones mark the row failed
 * and throw PermanentJobError so the job goes straight to the dead-letter set.
 */
export function sendEmailJob(deps: { db: Db; mailer: Mailer; logger: Logger }): JobHandler<MailKey> {
  return async (key, ctx) => {
    const outcome = await deps.db.transaction().execute(async (trx): Promise<Outcome> => {
      await lockMail(trx, key);
      const row = await findMail(trx, key);
      if (!row) return { kind: 'missing' };
      // A failed row runs again only when someone retries its dead job by hand.
      if (row.status === 'sent') return { kind: 'skipped' };
      return attempt(trx, row, ctx, deps);
    });
    const log = { event_id: key.event_id, user_id: key.user_id, template: key.template, attempt: ctx.attempt };
    switch (outcome.kind) {
      case 'sent':
        deps.logger.info(log, 'mail sent');
        return 'done';
      case 'skipped':
        return 'skipped';
      case 'missing':
        // The consumer's transaction rolled back after enqueueing; its redelivery writes the row again.
        throw new Error(`mail ${key.template} of event ${key.event_id} is not in mail_log (yet)`);
      case 'permanent':
        throw new PermanentJobError(outcome.error.message, { cause: outcome.error });
      case 'temporary':
        throw outcome.error;
    }
  };
}

async function attempt(trx: Tx, row: MailRow, ctx: JobContext, deps: { mailer: Mailer }): Promise<Outcome> {
  const fail = async (error: Error): Promise<Outcome> => {
    await markFailed(trx, row, error.message);
    return { kind: 'permanent', error };
  };
  const recipient = await findRecipient(trx, row.user_id);
  if (recipient?.deleted_at) {
    // The account is gone: no mail to it any more. Not an error that needs a dead letter.
    await markFailed(trx, row, 'recipient deleted before the mail was sent');
    return { kind: 'skipped' };
  }
  // Only an address an event gave us: never a guessed one.
  const to = row.to_email ?? recipient?.email;
  if (!to) return fail(new Error(`no email address known for user ${row.user_id}`));
  if (!isTemplateName(row.template)) return fail(new Error(`unknown template ${row.template}`));
  let rendered;
  try {
    rendered = renderMail(row.template, { name: recipient?.name ?? recipient?.username ?? null, data: row.data });
  } catch (err) {
    if (err instanceof TemplateDataError) return fail(err);
    throw err;
  }

  try {
    const { messageId } = await deps.mailer.send({ to, template: row.template, ...rendered }, trx);
    await markSent(trx, row, messageId);
    return { kind: 'sent' };
  } catch (err) {
    // Anything else (the database) rolls the attempt back and the queue retries it.
    if (!(err instanceof MailDeliveryError)) throw err;
    if (err.permanent) return fail(err);
    // On the last attempt the row says what happened; the job itself goes to the dead-letter set.
    if (ctx.attempt >= ctx.maxAttempts) await markFailed(trx, row, err.message);
    else await recordFailedAttempt(trx, row, err.message);
    return { kind: 'temporary', error: err };
  }
}
