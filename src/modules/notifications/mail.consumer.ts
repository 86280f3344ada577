import { afterCommit, type Consumer, type DomainEvent, type JobQueue, type Logger, type Tx } from '../../kernel/index.js';
import { payloadOf } from './auth-events.js';
import { bookingMails, eventChangedMails } from './booking-mail.js';
import { insertMail, lockMail, mailJobId, type MailKey } from './mail-log.repository.js';
import type { MailRequest } from './mail.request.js';

export const SEND_EMAIL_JOB = 'notifications.send-email';

/** The mail an auth event asks for, if any. */
function authMail(event: DomainEvent, logger: Logger): MailRequest | undefined {
  const otp = payloadOf(event, 'auth.otp.requested', logger);
  if (otp) return { user_id: otp.user_id, template: 'verify_email', to_email: otp.email, data: codeData(event, otp) };
  const verified = payloadOf(event, 'auth.user.verified', logger);
  if (verified) return { user_id: verified.user_id, template: 'welcome', to_email: verified.email, data: {} };
  const reset = payloadOf(event, 'auth.password_reset.requested', logger);
  if (reset) return { user_id: reset.user_id, template: 'password_reset', to_email: reset.email, data: codeData(event, reset) };
  const existing = payloadOf(event, 'auth.registration.existing_account', logger);
  if (existing) return { user_id: existing.user_id, template: 'account_exists', to_email: existing.email, data: {} };
  return undefined;
}

function codeData(event: DomainEvent, p: { otp_sealed: string; expires_at: string }): Record<string, unknown> {
  // Minutes as the user reads them, fixed when the code was issued (a retried mail keeps the wording).
  const minutes = Math.max(1, Math.round((Date.parse(p.expires_at) - Date.parse(event.occurredAt)) / 60_000));
  return { otp_sealed: p.otp_sealed, expires_at: new Date(p.expires_at).toISOString(), valid_minutes: minutes };
}

/**
 * Turns events into mail jobs: auth's (codes, welcome), bookings' (each change of a booking or a
 * waitlist entry; an event's cancellation once per attendee) and a change of an event's time or
 * place (every attendee). The mail_log row is written in the consumer's transaction (so
 * it exists exactly when the event counts as handled); the job is enqueued inside it too, after
 * the row: an enqueue that fails rolls the transaction back and the bus redelivers the event, and
 * a job that starts before the commit waits for it on the mail's lock. A job lost after all (the
 * in-process queue dies with its process) is re-enqueued by the sweep.
 */
export function mailConsumer(jobs: JobQueue, logger: Logger): Consumer {
  return {
    name: 'notifications.mail',
    topics: [
      'auth.otp.requested', 'auth.user.verified', 'auth.password_reset.requested', 'auth.registration.existing_account',
      'bookings.booking.*', 'bookings.waitlist.*', 'events.event.updated',
    ],
    async handle(event, trx: Tx) {
      if (event.type === 'events.event.updated') {
        const keys = await eventChangedMails(event, trx);
        // After the commit, outside the transaction: a lost enqueue is the sweep's to make up.
        if (keys.length) afterCommit(trx, async () => {
          for (const key of keys) await enqueueMail(jobs, key).catch((err: unknown) => logger.warn({ err, ...key }, 'mail enqueue failed; the sweep will'));
        });
        return;
      }
      const auth = authMail(event, logger);
      const requests = auth ? [auth] : (bookingMails(event)) ?? [];
      for (const request of requests) {
        const key: MailKey = { event_id: request.key_event_id ?? event.id, user_id: request.user_id, template: request.template };
        await lockMail(trx, key);
        await insertMail(trx, { ...key, to_email: request.to_email, data: request.data });
        // Also when the row already existed: the job id dedupes, and the job skips a mail already sent.
        await enqueueMail(jobs, key);
      }
    },
  };
}

export function enqueueMail(jobs: JobQueue, key: MailKey): Promise<{ id: string; created: boolean }> {
  const data: MailKey = { event_id: key.event_id, user_id: key.user_id, template: key.template };
  return jobs.enqueue(SEND_EMAIL_JOB, data, { jobId: mailJobId(data) });
}
