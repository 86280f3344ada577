import { sql } from 'kysely';
import type { Executor } from '../../kernel/index.js';

/** What identifies one email: at most one is sent per (event, recipient, template). */
export interface MailKey {
  event_id: string;
  user_id: string;
  template: string;
}

export interface MailRow extends MailKey {
  to_email: string | null;
  data: Record<string, unknown>;
  status: 'queued' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  created_at: Date;
  sent_at: Date | null;
}

/** The queue's job id for a mail: the same key always maps to the same job, so enqueueing dedupes. */
export function mailJobId(k: MailKey): string {
  return `${k.event_id}:${k.user_id}:${k.template}`;
}

const keyMatches = (k: MailKey) => sql`event_id = ${k.event_id} and user_id = ${k.user_id} and template = ${k.template}`;

/**
 * Serialises everything done to one mail until the transaction ends: the job that sends it waits
 * for the consumer's transaction that created the row (instead of finding nothing and backing off),
 * and two runs of the same job (a stalled BullMQ job taken over) cannot both send it.
 */
export async function lockMail(trx: Executor, k: MailKey): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`notifications.mail:${mailJobId(k)}`}, 0))`.execute(trx);
}

/** True when the row is new; a row that already exists (a replayed event) is left as it is. */
export async function insertMail(trx: Executor, row: MailKey & { to_email: string | null; data: Record<string, unknown> }): Promise<boolean> {
  const { rows } = await sql`
    insert into notifications.mail_log (event_id, user_id, template, to_email, data)
    values (${row.event_id}, ${row.user_id}, ${row.template}, ${row.to_email}, ${JSON.stringify(row.data)}::jsonb)
    on conflict do nothing returning event_id`.execute(trx);
  return rows.length > 0;
}

export async function findMail(db: Executor, k: MailKey): Promise<MailRow | undefined> {
  const { rows } = await sql<MailRow>`select * from notifications.mail_log where ${keyMatches(k)}`.execute(db);
  return rows[0];
}

// A final row no longer needs its one-time code: it must not outlive the mail in the database.
const FORGET_SECRETS = sql`data = data - 'otp'`;

export async function markSent(trx: Executor, k: MailKey, messageId: string): Promise<void> {
  await sql`update notifications.mail_log set status = 'sent', attempts = attempts + 1, message_id = ${messageId},
    last_error = null, sent_at = now(), updated_at = now(), ${FORGET_SECRETS} where ${keyMatches(k)}`.execute(trx);
}

export async function markFailed(trx: Executor, k: MailKey, error: string): Promise<void> {
  await sql`update notifications.mail_log set status = 'failed', attempts = attempts + 1, last_error = ${error},
    updated_at = now(), ${FORGET_SECRETS} where ${keyMatches(k)}`.execute(trx);
}

/** A failed attempt that will be retried: the row stays queued. */
export async function recordFailedAttempt(trx: Executor, k: MailKey, error: string): Promise<void> {
  await sql`update notifications.mail_log set attempts = attempts + 1, last_error = ${error}, updated_at = now()
    where ${keyMatches(k)}`.execute(trx);
}

/**
 * Rows still queued that were created before `olderThan`, oldest first, after the `after` cursor.
 * Their job may have been lost (an enqueue that never happened, an in-process queue that died with
 * its process); re-enqueueing is harmless because the job id dedupes.
 */
export async function listQueuedBefore(db: Executor, olderThan: Date, limit: number, after?: MailKey & { created_at: Date }): Promise<(MailKey & { created_at: Date })[]> {
  const cursor = after
    ? sql`and (created_at, event_id, user_id, template) > (${after.created_at}, ${after.event_id}, ${after.user_id}, ${after.template})`
    : sql``;
  const { rows } = await sql<MailKey & { created_at: Date }>`
    select event_id, user_id, template, created_at from notifications.mail_log
    where status = 'queued' and created_at < ${olderThan} ${cursor}
    order by created_at, event_id, user_id, template limit ${limit}`.execute(db);
  return rows;
}
