import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { classifySmtpError, MailDeliveryError, smtpMailer } from './mailer.js';
import { startTestSmtp, type TestSmtp } from './notifications.testkit.js';

const message = (to: string) => ({ to, subject: 'Hello', text: 'plain', html: '<p>html</p>', template: 'welcome' });
// The SMTP mailer never uses the transaction; only the dev mailbox writes through it.
const noTrx = undefined as never;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SMTP mailer against a real SMTP server', () => {
  let smtp: TestSmtp;
  before(async () => (smtp = await startTestSmtp()));
  after(() => smtp?.close());

  it('sends text and HTML from MAIL_FROM and returns the Message-ID', async () => {
    const { messageId } = await smtpMailer(smtp.url, 'Evently <mail@evently.test>').send(message('ok@example.com'), noTrx);
    const [mail] = smtp.to('ok@example.com');
    assert.equal(mail!.from, 'mail@evently.test');
    assert.ok(mail!.body.includes(`Message-ID: ${messageId}`));
    assert.match(mail!.body, /Content-Type: text\/plain/);
    assert.match(mail!.body, /Content-Type: text\/html/);
  });

  it('a 5xx reply is a permanent failure, a 4xx reply a temporary one: never swallowed', async () => {
    const mailer = smtpMailer(smtp.url, 'mail@evently.test');
    smtp.failRcpt('no@example.com', 550);
    smtp.failRcpt('later@example.com', 451);
    const permanent = await mailer.send(message('no@example.com'), noTrx).then(() => undefined, (e: unknown) => e);
    const temporary = await mailer.send(message('later@example.com'), noTrx).then(() => undefined, (e: unknown) => e);
    assert.ok(permanent instanceof MailDeliveryError && permanent.permanent, String(permanent));
    assert.match(permanent.message, /550/);
    assert.ok(temporary instanceof MailDeliveryError && !temporary.permanent, String(temporary));
    assert.match(temporary.message, /451/);
  });

  it('a refused connection is temporary', async () => {
    const err = await smtpMailer(`smtp://127.0.0.1:${await closedPort()}`, 'mail@evently.test')
      .send(message('x@example.com'), noTrx)
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MailDeliveryError && !err.permanent, String(err));
  });

  it('a rejected login is temporary (our configuration, not the message), 503 too', () => {
    assert.equal(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535, permanent: true })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('bad sequence'), { code: 'EENVELOPE', responseCode: 503, permanent: false })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('Invalid recipient'), { code: 'EENVELOPE' })).permanent, true);
  });
});
