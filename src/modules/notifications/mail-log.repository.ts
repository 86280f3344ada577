import { sql } from 'kysely';
import { newId, type Executor } from '../../kernel/index.js';

/** What identifies one email: at most one is sent per (event, recipient, template). */
export interface MailKey {
  event_id: string;
  user_id: string;
  template: string;
}

export interface MailRow extends MailKey {
  to_email: string | null;
  data: Record<string, unknown>;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  /** The run that claimed the row to send it (status 'sending'; kept afterwards for the record). */
  claim_id: string | null;
  claimed_at: Date | null;
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
 * and two runs of the same job (a stalled BullMQ job taken over) check and claim the row one after
 * the other, so only one of them can claim it. Held only for the short claim transaction, never
 * across the SMTP exchange.
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
const FORGET_SECRETS = sql`data = data - 'otp' - 'otp_sealed'`;

export const RECIPIENT_DELETED = 'recipient deleted before the mail was sent';

/** The message of a row found 'sending' by a later run: the server may or may not have the mail. */
export const OUTCOME_UNKNOWN = 'outcome unknown after interrupted send';

/** The message of a mail sent again after an interrupted send, under the same Message-ID. */
export const RESENT = 'interrupted send: sent again with the same Message-ID';

/**
 * A mail carrying a one-time code (until the row is final, the sealed code is in its data). Such a
 * mail is sent at most once; any other is sent at least once, with a Message-ID of its own key, so
 * a repeat after an interrupted send is the same message to the recipient's mail system.
 */
export function isCodeMail(data: Record<string, unknown>): boolean {
  return 'otp_sealed' in data;
}

/**
 * Claims a queued row for one send: status 'sending' under a new claim id, committed before the
 * server is contacted. Counts the attempt. Undefined when the row is not queued (any more).
 */
export async function claimMail(trx: Executor, k: MailKey): Promise<string | undefined> {
  const claimId = newId();
  const { rows } = await sql`update notifications.mail_log set status = 'sending', claim_id = ${claimId}, claimed_at = now(),
    attempts = attempts + 1, updated_at = now() where ${keyMatches(k)} and status = 'queued' returning claim_id`.execute(trx);
  return rows.length ? claimId : undefined;
}

/**
 * The mail went out (or was kept, for the dev mailbox alone). With a claim: that claim's row, also
 * when something gave up on it meanwhile (we now know the outcome). Without one (no server to talk
 * to, sent in the transaction that checked the row): the queued row, counting the attempt.
 */
export async function markSent(trx: Executor, k: MailKey, claimId: string | null, messageId: string): Promise<boolean> {
  const which = claimId
    ? sql`claim_id = ${claimId} and status in ('sending', 'failed')`
    : sql`status = 'queued'`;
  const { rows } = await sql`update notifications.mail_log set status = 'sent', message_id = ${messageId},
    attempts = attempts + ${claimId ? 0 : 1}, last_error = null, sent_at = now(), updated_at = now(), ${FORGET_SECRETS}
    where ${keyMatches(k)} and ${which} returning event_id`.execute(trx);
  return rows.length > 0;
}

/**
 * Gives up on a row for good, code removed. `claimId`: the claimed row of that run (the attempt was
 * counted by the claim); otherwise a queued row, counting an attempt when `attempt` is set.
 * `forgetAddress` also clears the address (the recipient is deleted).
 */
export async function markFailed(
  trx: Executor,
  k: MailKey,
  error: string,
  o: { claimId?: string; attempt?: boolean; forgetAddress?: boolean } = {},
): Promise<void> {
  const which = o.claimId ? sql`claim_id = ${o.claimId} and status = 'sending'` : sql`status = 'queued'`;
  const address = o.forgetAddress ? sql`, to_email = null` : sql``;
  await sql`update notifications.mail_log set status = 'failed', attempts = attempts + ${o.attempt ? 1 : 0},
    last_error = ${error}, updated_at = now(), ${FORGET_SECRETS} ${address}
    where ${keyMatches(k)} and ${which}`.execute(trx);
}

/** The claimed send did not go out and will be retried: the row is queued again. */
export async function releaseClaim(trx: Executor, k: MailKey, claimId: string, error: string): Promise<void> {
  await sql`update notifications.mail_log set status = 'queued', last_error = ${error}, updated_at = now()
    where ${keyMatches(k)} and claim_id = ${claimId} and status = 'sending'`.execute(trx);
}

/**
 * A row left 'sending' by a run that never recorded the outcome (it died, or the database went away
 * after the server's answer). The server may have the mail, so it is never sent again
 * automatically: failed, code removed, for a human to look at (at most once beats at least once for
 * a code mail; the user can ask for a new code).
 */
export async function giveUpInterrupted(trx: Executor, k: MailKey, claimId: string | null): Promise<void> {
  await sql`update notifications.mail_log set status = 'failed', last_error = ${OUTCOME_UNKNOWN}, updated_at = now(), ${FORGET_SECRETS}
    where ${keyMatches(k)} and status = 'sending' and claim_id is not distinct from ${claimId}`.execute(trx);
}

/** An interrupted send of a mail that is not a code mail: queued again, to be sent again under the same Message-ID. */
export async function requeueInterrupted(trx: Executor, k: MailKey, claimId: string | null): Promise<void> {
  await sql`update notifications.mail_log set status = 'queued', last_error = ${RESENT}, updated_at = now()
    where ${keyMatches(k)} and status = 'sending' and claim_id is not distinct from ${claimId}`.execute(trx);
}

/**
 * Claims older than `claimedBefore` (no send runs that long): code mails are given up
 * (giveUpInterrupted), others queued again (requeueInterrupted) for the sweep to send.
 */
export async function giveUpStaleClaims(db: Executor, claimedBefore: Date): Promise<{ abandoned: number; requeued: number }> {
  const { rows } = await sql<{ requeued: boolean }>`update notifications.mail_log set
      status = case when data ? 'otp_sealed' then 'failed' else 'queued' end,
      last_error = case when data ? 'otp_sealed' then ${OUTCOME_UNKNOWN} else ${RESENT} end,
      updated_at = now(), data = case when data ? 'otp_sealed' then data - 'otp' - 'otp_sealed' else data end
    where status = 'sending' and claimed_at < ${claimedBefore} returning status = 'queued' as requeued`.execute(db);
  return { abandoned: rows.filter((r) => !r.requeued).length, requeued: rows.filter((r) => r.requeued).length };
}

/**
 * The user is deleted: their mails not yet sent lose their address and code, and the queued ones
 * are given up (a claimed one is already with the server; its outcome is still recorded).
 */
export async function forgetUnsentMailOf(trx: Executor, userId: string): Promise<void> {
  await sql`update notifications.mail_log set to_email = null, ${FORGET_SECRETS}, updated_at = now(),
    status = case when status = 'queued' then 'failed' else status end,
    last_error = case when status = 'queued' then ${RECIPIENT_DELETED} else last_error end
    where user_id = ${userId} and status in ('queued', 'sending')`.execute(trx);
}

/** A code mail (one carrying a sealed code) whose code has expired, or whose expiry cannot be read, must not be sent. */
export function codeExpired(data: Record<string, unknown>, now: Date = new Date()): boolean {
  if (!('otp_sealed' in data)) return false;
  const at = typeof data.expires_at === 'string' ? Date.parse(data.expires_at) : NaN;
  return !(at > now.getTime());
}

export const CODE_EXPIRED = 'code expired before the mail was sent';

/** `cursor`: created_at as PostgreSQL prints it (microseconds; a JS Date would cut them to milliseconds). */
export type QueuedMail = MailKey & { created_at: Date; cursor: string; data: Record<string, unknown> };

/**
 * Rows still queued that were created before `olderThan`, oldest first, after the `after` cursor.
 * Their job may have been lost (an enqueue that never happened, an in-process queue that died with
 * its process) or be dead (its last attempt failed without giving up on the row); re-enqueueing is
 * harmless because the job id dedupes.
 */
export async function listQueuedBefore(db: Executor, olderThan: Date, limit: number, after?: MailKey & { cursor: string }): Promise<QueuedMail[]> {
  const cursor = after
    ? sql`and (created_at, event_id, user_id, template) > (${after.cursor}::timestamptz, ${after.event_id}, ${after.user_id}, ${after.template})`
    : sql``;
  const { rows } = await sql<QueuedMail>`
    select event_id, user_id, template, created_at, created_at::text as cursor, data from notifications.mail_log
    where status = 'queued' and created_at < ${olderThan} ${cursor}
    order by created_at, event_id, user_id, template limit ${limit}`.execute(db);
  return rows;
}
