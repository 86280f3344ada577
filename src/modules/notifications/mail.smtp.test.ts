import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { sql } from 'kysely';
import { newId, startPeriodic } from '../../kernel/index.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { waitFor } from '../../../test/support/outbox-probe.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';
import { mailConsumer, SEND_EMAIL_JOB } from './mail.consumer.js';
import { mailJobId, type MailKey } from './mail-log.repository.js';
import { mailSweepTask, sweepQueuedMail } from './mail.sweep.js';
import { sendEmailJob } from './send-email.job.js';
import { devMailTo, emitAuthEvent, mailLogOf, sealerOf, startTestSmtp, type TestSmtp } from './notifications.testkit.js';

const TEST = { timeout: 30_000 };

function newUser(label: string): { user_id: string; email: string } {
  return { user_id: newId(), email: `${label}-${newId().slice(-8)}@example.com` };
}

function otpEvent(user: { user_id: string; email: string }) {
  const otp = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const expires_at = new Date(Date.now() + 10 * 60_000).toISOString();
  return { otp, payload: { ...user, otp, purpose: 'verify_email', expires_at } };
}

/** The same journeys on the in-process adapters and on Redis (bus streams + BullMQ). */
function mailSuite(redis: boolean): void {
  let t: TestEvently;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startTestSmtp();
    t = await startTestEvently({
      redis,
      env: { SMTP_URL: smtp.url, EVENTLY_DEV_MAILBOX: 'true', JOB_BACKOFF_MS: '20', JOB_BACKOFF_MAX_MS: '200', JOB_ATTEMPTS: '4', OUTBOX_POLL_MS: '50' },
    });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });
  const deadJobIds = async () => (await t.evently.adapters.jobs.deadLetters(SEND_EMAIL_JOB)).map((d) => d.id);

  it('auth.otp.requested: the code arrives over SMTP and in the dev mailbox, once', TEST, async () => {
    const user = newUser('otp');
    const { otp, payload } = otpEvent(user);
    const event = await emitAuthEvent(t, 'auth.otp.requested', payload);
    await waitFor(() => smtp.to(user.email).length === 1, 10_000, 'the OTP over SMTP');

    const [mail] = smtp.to(user.email);
    assert.equal(mail!.from, 'no-reply@evently.local');
    assert.match(mail!.body, /^Subject: Your Evently verification code\r?$/m);
    assert.match(mail!.body, new RegExp(`verify your email address: ${otp}\\r?\\n`), 'the text part carries the 6 digits');
    assert.match(mail!.body, /Content-Type: text\/html/);

    // The server's OK comes before the commit that stores the dev copy and marks the row sent.
    await waitFor(async () => (await mailLogOf(t, event.id))[0]?.status === 'sent', 5_000, 'mail_log sent');
    const [dev, ...more] = await devMailTo(t, user.email);
    assert.deepEqual(more, []);
    assert.equal(dev!.template, 'verify_email');
    assert.ok(dev!.text.includes(otp) && dev!.html.includes(otp));

    const [row] = await mailLogOf(t, event.id);
    assert.equal(row!.attempts, 1);
    assert.ok(row!.message_id);
    assert.equal(row!.data.otp, undefined, 'the code does not outlive the mail in mail_log');
    assert.equal(row!.data.otp_sealed, undefined, 'nor does its sealed form');
  });

  it('the same event delivered twice sends one email', TEST, async () => {
    const user = newUser('twice');
    const event = await emitAuthEvent(t, 'auth.otp.requested', otpEvent(user).payload);
    await waitFor(() => smtp.to(user.email).length === 1, 10_000, 'the first delivery');

    // The first delivery's inbox row: it committed with the mail_log row, so every copy from here
    // on is a duplicate. (No row marks a duplicate's own handling: the inbox drops it.)
    const db = t.evently.database.db;
    await waitFor(async () => (await sql`select 1 from notifications.inbox where event_id = ${event.id} and consumer = 'notifications.mail'`
      .execute(db)).rows.length === 1, 10_000, 'the first delivery in the inbox');
    await t.evently.adapters.bus.publish([event]);
    // The worst case, deterministically: the duplicate straight through the consumer, past the inbox.
    await db.transaction().execute((trx) => mailConsumer(t.evently.adapters.jobs, t.evently.logger).handle(event, trx));
    await waitFor(async () => (await mailLogOf(t, event.id))[0]?.status === 'sent', 5_000, 'mail_log sent');
    // The job itself again (a sweep, a stalled job taken over): it finds the row sent and skips it.
    const key: MailKey = { event_id: event.id, user_id: user.user_id, template: 'verify_email' };
    const sends: unknown[] = [];
    const job = sendEmailJob({ transaction: t.evently.database.transaction, logger: t.evently.logger, sealer: await sealerOf(t), mailer: { send: async (m) => (sends.push(m), { messageId: 'x' }) } });
    assert.equal(await job(key, { id: mailJobId(key), name: SEND_EMAIL_JOB, attempt: 1, maxAttempts: 4, correlationId: null }), 'skipped');
    assert.deepEqual(sends, []);
    assert.equal((await t.evently.adapters.jobs.enqueue(SEND_EMAIL_JOB, key, { jobId: mailJobId(key) })).created, false);

    assert.equal(smtp.to(user.email).length, 1);
    assert.equal((await devMailTo(t, user.email)).length, 1);
    assert.equal((await mailLogOf(t, event.id)).length, 1);
  });

  it('SMTP answers 451 twice: retried with backoff, then delivered once', TEST, async () => {
    const user = newUser('busy');
    smtp.failRcpt(user.email, 451, 451);
    const { otp, payload } = otpEvent(user);
    const event = await emitAuthEvent(t, 'auth.otp.requested', payload);
    await waitFor(() => smtp.to(user.email).length === 1, 10_000, 'delivery after the retries');
    assert.ok(smtp.to(user.email)[0]!.body.includes(otp));
    assert.equal(smtp.rcptAttempts(user.email), 3);

    await waitFor(async () => (await mailLogOf(t, event.id))[0]?.status === 'sent', 5_000, 'mail_log sent');
    const [row] = await mailLogOf(t, event.id);
    assert.equal(row!.attempts, 3);
    assert.equal((await devMailTo(t, user.email)).length, 1, 'failed attempts left no copy in the dev mailbox');
    assert.ok(!(await deadJobIds()).includes(mailJobId({ event_id: event.id, user_id: user.user_id, template: 'verify_email' })));
  });

  it('SMTP answers 550: mail_log failed, the job dead-lettered without retries', TEST, async () => {
    const user = newUser('gone');
    smtp.failRcpt(user.email, 550, 550, 550);
    const event = await emitAuthEvent(t, 'auth.otp.requested', otpEvent(user).payload);
    const jobId = mailJobId({ event_id: event.id, user_id: user.user_id, template: 'verify_email' });
    await waitFor(async () => (await deadJobIds()).includes(jobId), 10_000, 'the dead letter');

    const [row] = await mailLogOf(t, event.id);
    assert.equal(row!.status, 'failed');
    assert.equal(row!.attempts, 1);
    assert.match(row!.last_error ?? '', /550/);
    const dead = (await t.evently.adapters.jobs.deadLetters(SEND_EMAIL_JOB)).find((d) => d.id === jobId);
    assert.equal(dead!.attempts, 1);
    assert.equal(smtp.rcptAttempts(user.email), 1);
    assert.deepEqual(smtp.to(user.email), []);
    assert.deepEqual(await devMailTo(t, user.email), []);
  });

  it('temporary failures on every attempt: mail_log failed after the last one, the job dead-lettered', TEST, async () => {
    const user = newUser('busy4');
    smtp.failRcpt(user.email, 421, 451, 452, 451);
    const event = await emitAuthEvent(t, 'auth.otp.requested', otpEvent(user).payload);
    const jobId = mailJobId({ event_id: event.id, user_id: user.user_id, template: 'verify_email' });
    await waitFor(async () => (await deadJobIds()).includes(jobId), 10_000, 'the dead letter');
    const [row] = await mailLogOf(t, event.id);
    assert.deepEqual({ status: row!.status, attempts: row!.attempts }, { status: 'failed', attempts: 4 });
    assert.match(row!.last_error ?? '', /451/);
    assert.equal(smtp.rcptAttempts(user.email), 4);
  });

  it('mails whose job was lost are sent by the sweep; a user without a known address is never mailed', TEST, async () => {
    const db = t.evently.database.db;
    const lost = newUser('lost');
    const unknown = newUser('unknown');
    const lostKey = { event_id: newId(), user_id: lost.user_id, template: 'welcome' };
    const unknownKey = { event_id: newId(), user_id: unknown.user_id, template: 'welcome' };
    // As a consumer would have committed them, two minutes ago, with no job ever enqueued.
    await sql`insert into notifications.mail_log (event_id, user_id, template, to_email, created_at) values
      (${lostKey.event_id}, ${lostKey.user_id}, 'welcome', ${lost.email}, now() - interval '2 minutes'),
      (${unknownKey.event_id}, ${unknownKey.user_id}, 'welcome', null, now() - interval '2 minutes')`.execute(db);

    // Pages of one row, so the cursor is walked too. Every other row of this suite is younger than a minute.
    assert.equal(await sweepQueuedMail(db, t.evently.adapters.jobs, { batch: 1 }), 2);
    await waitFor(() => smtp.to(lost.email).length === 1, 10_000, 'the recovered mail');
    assert.match(smtp.to(lost.email)[0]!.body, /Subject: Welcome to Evently/);

    await waitFor(async () => (await deadJobIds()).includes(mailJobId(unknownKey)), 10_000, 'the dead letter');
    const [row] = await mailLogOf(t, unknownKey.event_id);
    assert.deepEqual({ status: row!.status, error: row!.last_error }, { status: 'failed', error: `no email address known for user ${unknown.user_id}` });
    assert.ok(!smtp.messages.some((m) => m.to.some((a) => a.includes(unknown.user_id) || a.startsWith('unknown-'))), 'no made-up address');
    assert.equal(await sweepQueuedMail(db, t.evently.adapters.jobs), 0, 'nothing left queued');
  });

  it('the scheduled sweep runs by itself', TEST, async () => {
    const db = t.evently.database.db;
    const lost = newUser('timer');
    await sql`insert into notifications.mail_log (event_id, user_id, template, to_email, created_at)
      values (${newId()}, ${lost.user_id}, 'welcome', ${lost.email}, now() - interval '2 minutes')`.execute(db);
    const sweep = startPeriodic([{ ...mailSweepTask({ db, jobs: t.evently.adapters.jobs, logger: t.evently.logger }), everyMs: 20 }], { databaseUrl: t.database.url, logger: t.evently.logger });
    try {
      await waitFor(() => smtp.to(lost.email).length === 1, 10_000, 'the mail recovered by the timer');
    } finally {
      await sweep.stop();
    }
  });

  it('welcome after verification greets by the projected name, HTML-escaped', TEST, async () => {
    const user = newUser('xss');
    const fullName = '<script>alert("x")</script> & Co';
    await emitAuthEvent(t, 'auth.user.registered', { ...user, username: 'mallory', full_name: fullName });
    await waitFor(async () => (await sql`select 1 from notifications.recipients where user_id = ${user.user_id}`.execute(t.evently.database.db)).rows.length === 1, 10_000, 'the projection');
    const verified = await emitAuthEvent(t, 'auth.user.verified', user);
    await waitFor(async () => (await mailLogOf(t, verified.id))[0]?.status === 'sent', 10_000, 'the welcome mail');

    const [dev] = await devMailTo(t, user.email);
    assert.equal(dev!.template, 'welcome');
    assert.ok(dev!.html.includes('Hi &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co,'), dev!.html);
    assert.ok(!dev!.html.includes('<script'), 'no user-supplied markup in the HTML part');
    assert.ok(dev!.text.startsWith(`Hi ${fullName},`), 'the text part shows the name as typed');
    const smtpHtml = smtp.to(user.email)[0]!.body.split(/Content-Type: text\/html/)[1] ?? '';
    assert.ok(smtpHtml.includes('&lt;script&gt;') && !smtpHtml.includes('<script'), 'escaped as sent over SMTP too');
  });
}

describe('mail over SMTP, in-process adapters', () => mailSuite(false));
describe('mail over SMTP, Redis adapters', { skip: skipWithoutRedis() }, () => mailSuite(true));
