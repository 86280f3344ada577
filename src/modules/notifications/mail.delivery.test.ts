import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { sql } from 'kysely';
import { createAdapters, createFailedEvents, createSealer, newId, newSealingKey, type Config, type DomainEvent, type JobQueue } from '../../kernel/index.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { extendModule } from '../../../test/support/modules.js';
import { waitFor } from '../../../test/support/outbox-probe.js';
import { dropPrefix, redisUrl, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { payloadOf } from './auth-events.js';
import { enqueueMail, SEND_EMAIL_JOB } from './mail.consumer.js';
import { CODE_EXPIRED, mailJobId, OUTCOME_UNKNOWN, RECIPIENT_DELETED, RESENT, type MailKey } from './mail-log.repository.js';
import { sweepMail } from './mail.sweep.js';
import { devMailboxMailer, smtpMailer, type Mailer } from './mailer.js';
import { notificationsModule } from './index.js';
import { recipientsConsumer } from './recipients.consumer.js';
import { sendEmailJob } from './send-email.job.js';
import { emitAuthEvent, sealerOf, startTestSmtp, type TestSmtp } from './notifications.testkit.js';

const TEST = { timeout: 30_000 };
const FROM = 'mail@evently.test';
const RETRY = { attempts: 3, baseDelayMs: 10, maxDelayMs: 20 };

/**
 * The send job and the sweep driven by the test: the app runs notifications without its own send
 * worker and sweep (only the recipients projection), so nothing else touches these rows.
 */
describe('mail delivery: at most once, revived when stuck, never to an expired code or a list', () => {
  let t: TestEvently;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
    t = await startTestEvently({
      env: { EVENTLY_DEV_MAILBOX: 'true', OUTBOX_POLL_MS: '50' },
      // Only the recipients projection: no mail consumer, job handler or sweep of the module's own.
      modules: { notifications: extendModule(notificationsModule, (_parts, ctx) => ({ consumers: [recipientsConsumer(ctx.logger)] })) },
    });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  const db = () => t.evently.database.db;
  const address = (label: string) => `${label}-${newId().slice(-8)}@example.com`;
  const smtpAndDev = (): Mailer => ({ send: smtpMailer(smtp.url, FROM).send, keep: devMailboxMailer().keep });
  /** Mail data as the consumer writes it: the code sealed, as it arrived in the event. */
  const code = async (minutes: number) => ({
    otp_sealed: await (await sealerOf(t)).seal('123456'),
    valid_minutes: 10,
    expires_at: new Date(Date.now() + minutes * 60_000).toISOString(),
  });

  async function insertMail(to: string | null, o: { data?: Record<string, unknown>; agoMinutes?: number; userId?: string; template?: string } = {}): Promise<MailKey> {
    const key: MailKey = { event_id: newId(), user_id: o.userId ?? newId(), template: o.template ?? 'verify_email' };
    await sql`insert into notifications.mail_log (event_id, user_id, template, to_email, data, created_at)
      values (${key.event_id}, ${key.user_id}, ${key.template}, ${to}, ${JSON.stringify(o.data ?? (await code(10)))}::jsonb,
              now() - make_interval(mins => ${o.agoMinutes ?? 0}))`.execute(db());
    return key;
  }
  const rowOf = async (k: MailKey) =>
    (await sql<{ status: string; attempts: number; last_error: string | null; data: Record<string, unknown>; to_email: string | null }>`
      select status, attempts, last_error, data, to_email from notifications.mail_log
      where event_id = ${k.event_id} and user_id = ${k.user_id} and template = ${k.template}`.execute(db())).rows[0]!;
  const run = async (k: MailKey, mailer: Mailer, attempt = 1, maxAttempts = 4) =>
    sendEmailJob({ transaction: t.evently.database.transaction, mailer, logger: t.evently.logger, sealer: await sealerOf(t), recordRetryDelaysMs: [10, 10] })(k, { id: mailJobId(k), name: SEND_EMAIL_JOB, attempt, maxAttempts, correlationId: null });
  const outcome = (p: Promise<unknown>) => p.then((v) => ({ ok: v, err: undefined as Error | undefined }), (err: Error) => ({ ok: undefined, err }));

  /** Makes the update that marks `to`'s row sent fail `times` times (a sequence: the count survives the rollbacks). */
  async function failMarkSent(to: string, times: number): Promise<void> {
    await sql`create table if not exists notifications.test_mark_sent_faults (to_email text primary key, times int not null)`.execute(db());
    await sql.raw(`create or replace function notifications.test_fail_mark_sent() returns trigger language plpgsql as $$
      declare n int;
      begin
        select times into n from notifications.test_mark_sent_faults where to_email = new.to_email;
        if n is not null and new.status = 'sent' and old.status <> 'sent'
           and nextval(format('notifications.%I', 'fault_' || md5(new.to_email))) <= n then
          raise exception 'injected fault: mark sent';
        end if;
        return new;
      end $$`).execute(db());
    await sql`drop trigger if exists test_fail_mark_sent on notifications.mail_log`.execute(db());
    await sql`create trigger test_fail_mark_sent before update on notifications.mail_log for each row execute function notifications.test_fail_mark_sent()`.execute(db());
    await sql.raw(`create sequence notifications."fault_${createHash('md5').update(to).digest('hex')}"`).execute(db());
    await sql`insert into notifications.test_mark_sent_faults values (${to}, ${times})`.execute(db());
  }

  it('SMTP accepts but marking sent fails once: retried in place, exactly one mail, row sent', TEST, async () => {
    const to = address('marksent');
    await failMarkSent(to, 1);
    const key = await insertMail(to);
    assert.equal(await run(key, smtpAndDev()), 'done');
    assert.equal(smtp.to(to).length, 1);
    const row = await rowOf(key);
    assert.deepEqual({ status: row.status, attempts: row.attempts, otp: row.data.otp_sealed }, { status: 'sent', attempts: 1, otp: undefined });
    const { rows } = await sql`select 1 from notifications.dev_mailbox where "to" = ${to}`.execute(db());
    assert.equal(rows.length, 1, 'one dev copy: the failed mark-sent rolled its copy back');
  });

  it('a row queued before codes were sealed (plain `otp`) is still mailed, and its code then erased', TEST, async () => {
    const to = address('legacy');
    const key = await insertMail(to, { data: { otp: '654321', valid_minutes: 10, expires_at: new Date(Date.now() + 600_000).toISOString() } });
    assert.equal(await run(key, smtpAndDev()), 'done');
    assert.match(smtp.to(to)[0]!.body, /654321/);
    assert.equal((await rowOf(key)).data.otp, undefined);
  });

  it('a sealed code that cannot be opened (EVENT_SEALING_KEY differs) fails the mail, never sends a blank code', TEST, async () => {
    const to = address('wrong-key');
    const foreign = createSealer(Buffer.from(newSealingKey(), 'base64url'));
    const key = await insertMail(to, { data: { ...(await code(10)), otp_sealed: await foreign.seal('111222') } });
    const r = await outcome(run(key, smtpAndDev()));
    assert.equal(r.err?.name, 'PermanentJobError');
    const row = await rowOf(key);
    assert.deepEqual({ status: row.status, sealed: row.data.otp_sealed }, { status: 'failed', sealed: undefined });
    assert.match(row.last_error ?? '', /EVENT_SEALING_KEY differs/);
    assert.equal(smtp.to(to).length, 0);
  });

  it('SMTP accepts but the outcome is never recorded: the next run does not send again', TEST, async () => {
    const to = address('lost-outcome');
    await failMarkSent(to, 1000);
    const key = await insertMail(to);
    const first = await outcome(run(key, smtpAndDev()));
    assert.match(first.err?.message ?? '', /injected fault/);
    assert.equal((await rowOf(key)).status, 'sending');
    const second = await outcome(run(key, smtpAndDev(), 2));
    assert.equal(second.err?.name, 'PermanentJobError');
    const row = await rowOf(key);
    assert.deepEqual({ status: row.status, error: row.last_error, otp: row.data.otp_sealed }, { status: 'failed', error: OUTCOME_UNKNOWN, otp: undefined });
    assert.equal(await run(key, smtpAndDev(), 1), 'skipped', 'a failed row is never sent by a job');
    assert.equal(smtp.to(to).length, 1, 'exactly one mail at the SMTP server');
  });

  it('a mail that is not a code, whose outcome was never recorded, is sent again under the same Message-ID', TEST, async () => {
    const to = address('lost-welcome');
    // Every write of the first run's outcome fails (the first try and its two retries).
    await failMarkSent(to, 3);
    const key = await insertMail(to, { template: 'welcome', data: {} });
    const first = await outcome(run(key, smtpAndDev()));
    assert.match(first.err?.message ?? '', /injected fault/);
    assert.equal((await rowOf(key)).status, 'sending');
    assert.equal(await run(key, smtpAndDev(), 2), 'done');
    const row = await rowOf(key);
    assert.deepEqual({ status: row.status, error: row.last_error }, { status: 'sent', error: null });
    const ids = smtp.to(to).map((m) => /^Message-ID: (.*)$/im.exec(m.body)?.[1]);
    assert.equal(ids.length, 2, 'the server got it twice');
    assert.equal(new Set(ids).size, 1, 'as one message: the same Message-ID');
  });

  it('554 on MAIL FROM is retried (row queued again), 550 on RCPT TO fails at once', TEST, async () => {
    const to = address('mailfrom');
    const key = await insertMail(to);
    smtp.failMailFrom(554);
    const first = await outcome(run(key, smtpAndDev()));
    assert.ok(first.err && first.err.name !== 'PermanentJobError', String(first.err));
    const queued = await rowOf(key);
    assert.equal(queued.status, 'queued');
    assert.match(queued.last_error ?? '', /MAIL FROM 554/);
    assert.equal(await run(key, smtpAndDev(), 2), 'done');
    assert.equal(smtp.to(to).length, 1);
    assert.equal((await rowOf(key)).attempts, 2);

    const refused = address('rcpt550');
    const refusedKey = await insertMail(refused);
    smtp.failRcpt(refused, 550);
    assert.equal((await outcome(run(refusedKey, smtpAndDev()))).err?.name, 'PermanentJobError');
    assert.equal((await rowOf(refusedKey)).status, 'failed');
  });

  it('an address field naming several mailboxes is refused by the schema and never sent', TEST, async () => {
    const list = 'victim@example.com, attacker@evil.test';
    const event = { id: newId(), type: 'auth.otp.requested', version: 2, occurredAt: new Date().toISOString(), correlationId: null,
      payload: { user_id: newId(), email: list, otp_sealed: await (await sealerOf(t)).seal('123456'), purpose: 'verify_email', expires_at: new Date(Date.now() + 600_000).toISOString(), entity_version: 1 } } satisfies DomainEvent;
    assert.equal(payloadOf(event, 'auth.otp.requested', t.evently.logger), undefined);
    assert.ok(payloadOf({ ...event, payload: { ...(event.payload as object), email: 'victim@example.com' } }, 'auth.otp.requested', t.evently.logger));

    const key = await insertMail(list);
    assert.equal((await outcome(run(key, smtpAndDev()))).err?.name, 'PermanentJobError');
    assert.equal((await rowOf(key)).status, 'failed');
    assert.equal(smtp.rcptAttempts('attacker@evil.test'), 0);
    assert.equal(smtp.rcptAttempts('victim@example.com'), 0);
  });

  it('an expired code is not mailed: failed, code removed', TEST, async () => {
    const to = address('expired');
    const key = await insertMail(to, { data: await code(-1) });
    assert.equal(await run(key, smtpAndDev()), 'skipped');
    const row = await rowOf(key);
    assert.deepEqual({ status: row.status, error: row.last_error, otp: row.data.otp_sealed }, { status: 'failed', error: CODE_EXPIRED, otp: undefined });
    assert.equal(smtp.to(to).length, 0);
  });

  it('auth.user.deleted clears the address and code of queued mail, which is never sent', TEST, async () => {
    const userId = newId();
    const to = address('deleted');
    const key = await insertMail(to, { userId });
    await emitAuthEvent(t, 'auth.user.deleted', { user_id: userId });
    await waitFor(async () => (await rowOf(key)).status === 'failed', 10_000, 'the queued mail given up');
    const row = await rowOf(key);
    assert.deepEqual({ to: row.to_email, error: row.last_error, otp: row.data.otp_sealed }, { to: null, error: RECIPIENT_DELETED, otp: undefined });
    assert.equal(await run(key, smtpAndDev()), 'skipped');
    assert.equal(smtp.to(to).length, 0);
  });

  it('the sweep gives up on code claims left behind by a dead run, queues other mails again, and fails expired queued codes', TEST, async () => {
    const abandoned = await insertMail(address('abandoned'));
    const welcome = await insertMail(address('resend'), { template: 'welcome', data: {} });
    await sql`update notifications.mail_log set status = 'sending', claim_id = ${newId()}, claimed_at = now() - interval '1 hour'
      where event_id in (${abandoned.event_id}, ${welcome.event_id})`.execute(db());
    const expired = await insertMail(address('expired-swept'), { data: await code(-1), agoMinutes: 5 });
    const { jobs, cleanup } = await makeQueue('memory');
    try {
      const r = await sweepMail(db(), jobs);
      assert.deepEqual({ abandoned: r.abandoned, requeued: r.requeued, expired: r.expired }, { abandoned: 1, requeued: 1, expired: 1 });
    } finally {
      await cleanup();
    }
    assert.deepEqual([(await rowOf(abandoned)).status, (await rowOf(abandoned)).last_error], ['failed', OUTCOME_UNKNOWN]);
    assert.deepEqual([(await rowOf(welcome)).status, (await rowOf(welcome)).last_error], ['queued', RESENT]);
    const row = await rowOf(expired);
    assert.deepEqual({ status: row.status, error: row.last_error, otp: row.data.otp_sealed }, { status: 'failed', error: CODE_EXPIRED, otp: undefined });
  });

  /** A job queue of its own (fast retries), in-process or on Redis under a prefix of its own. */
  async function makeQueue(kind: 'memory' | 'bullmq'): Promise<{ jobs: JobQueue; cleanup: () => Promise<void> }> {
    const prefix = uniquePrefix('mail');
    const config: Config = {
      ...t.config,
      jobs: { ...t.config.jobs, attempts: RETRY.attempts, baseDelayMs: RETRY.baseDelayMs, maxDelayMs: RETRY.maxDelayMs },
      redis: { ...t.config.redis, url: kind === 'bullmq' ? redisUrl() : undefined, prefix },
    };
    const adapters = await createAdapters(config, t.evently.logger, createFailedEvents(t.evently.database.db));
    return {
      jobs: adapters.jobs,
      async cleanup() {
        await adapters.jobs.stop();
        await adapters.close();
        if (kind === 'bullmq') await dropPrefix(prefix);
      },
    };
  }
  for (const kind of ['memory', 'bullmq'] as const) {
    it(`${kind} queue: a non-SMTP failure on every attempt dead-letters the job; the sweep revives it and the mail goes out once`, { ...TEST, skip: kind === 'bullmq' && skipWithoutRedis() }, async () => {
      const { jobs, cleanup } = await makeQueue(kind);
      let broken = true;
      const smtpSend = smtpMailer(smtp.url, FROM).send;
      const mailer: Mailer = {
        async send(message) {
          if (broken) throw new Error('connection terminated unexpectedly (test)');
          return smtpSend(message);
        },
      };
      try {
        jobs.process(SEND_EMAIL_JOB, sendEmailJob({ transaction: t.evently.database.transaction, mailer, logger: t.evently.logger, sealer: await sealerOf(t) }));
        await jobs.start();
        const to = address(`revive-${kind}`);
        // A row the sweep considers stale, whose job runs (and dies) now.
        const key = await insertMail(to, { agoMinutes: 2, data: await code(30) });
        await enqueueMail(jobs, key);
        await waitFor(async () => (await jobs.deadLetters(SEND_EMAIL_JOB)).some((d) => d.id === mailJobId(key)), 10_000, 'the dead letter');
        const stuck = await rowOf(key);
        assert.deepEqual({ status: stuck.status, attempts: stuck.attempts }, { status: 'queued', attempts: RETRY.attempts });
        assert.equal((await enqueueMail(jobs, key)).created, false, 'the queue still knows the dead id: enqueueing alone cannot help');

        broken = false;
        const r = await sweepMail(db(), jobs);
        assert.equal(r.revived, 1);
        await waitFor(async () => (await rowOf(key)).status === 'sent', 10_000, 'the revived mail sent');
        assert.equal(smtp.to(to).length, 1);
        assert.deepEqual(await sweepMail(db(), jobs), { created: 0, revived: 0, expired: 0, abandoned: 0, requeued: 0 });
        assert.equal(smtp.to(to).length, 1);
      } finally {
        await cleanup();
      }
    });
  }
});
