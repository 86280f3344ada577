import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { classifySmtpError, isSingleAddress, MailDeliveryError, smtpMailer } from './mailer.js';
import { startTestSmtp, type TestSmtp } from './notifications.testkit.js';

const message = (to: string) => ({ to, subject: 'Hello', text: 'plain', html: '<p>html</p>', template: 'welcome', key: 'e1:u1:welcome' });

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
    const { messageId } = await smtpMailer(smtp.url, 'Evently <mail@evently.test>').send(message('ok@example.com'));
    const [mail] = smtp.to('ok@example.com');
    assert.equal(mail!.from, 'mail@evently.test');
    assert.ok(mail!.body.includes(`Message-ID: ${messageId}`));
    assert.match(mail!.body, /Content-Type: text\/plain/);
    assert.match(mail!.body, /Content-Type: text\/html/);
  });

  it('one mail keeps one Message-ID, made from its key, at the sender\'s domain: a repeat is the same message', async () => {
    const mailer = smtpMailer(smtp.url, 'Evently <mail@evently.test>');
    const first = await mailer.send(message('twice@example.com'));
    const second = await mailer.send(message('twice@example.com'));
    const other = await mailer.send({ ...message('twice@example.com'), key: 'e2:u1:welcome' });
    assert.equal(first.messageId, second.messageId);
    assert.notEqual(first.messageId, other.messageId);
    assert.match(first.messageId, /^<[0-9a-f]{32}@evently\.test>$/);
  });

  it('a 5xx reply is a permanent failure, a 4xx reply a temporary one: never swallowed', async () => {
    const mailer = smtpMailer(smtp.url, 'mail@evently.test');
    smtp.failRcpt('no@example.com', 550);
    smtp.failRcpt('later@example.com', 451);
    const permanent = await mailer.send(message('no@example.com')).then(() => undefined, (e: unknown) => e);
    const temporary = await mailer.send(message('later@example.com')).then(() => undefined, (e: unknown) => e);
    assert.ok(permanent instanceof MailDeliveryError && permanent.permanent, String(permanent));
    assert.match(permanent.message, /550/);
    assert.ok(temporary instanceof MailDeliveryError && !temporary.permanent, String(temporary));
    assert.match(temporary.message, /451/);
  });

  it('a refused connection is temporary', async () => {
    const err = await smtpMailer(`smtp://127.0.0.1:${await closedPort()}`, 'mail@evently.test')
      .send(message('x@example.com'))
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof MailDeliveryError && !err.permanent, String(err));
  });

  it('a rejected login is temporary (our configuration, not the message), 503 too', () => {
    assert.equal(classifySmtpError(Object.assign(new Error('Invalid login'), { code: 'EAUTH', responseCode: 535, permanent: true })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('bad sequence'), { code: 'EENVELOPE', responseCode: 503, permanent: false })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('Invalid recipient'), { code: 'EENVELOPE' })).permanent, true);
  });

  it('554 on MAIL FROM is temporary (the sender is our configuration); 550 on RCPT TO is permanent', async () => {
    const mailer = smtpMailer(smtp.url, 'mail@evently.test');
    smtp.failMailFrom(554);
    const sender = await mailer.send(message('from-refused@example.com')).then(() => undefined, (e: unknown) => e);
    assert.ok(sender instanceof MailDeliveryError && !sender.permanent, String(sender));
    assert.match(sender.message, /MAIL FROM 554/);
    smtp.failRcpt('rcpt-refused@example.com', 550);
    const rcpt = await mailer.send(message('rcpt-refused@example.com')).then(() => undefined, (e: unknown) => e);
    assert.ok(rcpt instanceof MailDeliveryError && rcpt.permanent, String(rcpt));
    assert.match(rcpt.message, /RCPT TO 550/);
  });

  it('classifies by command: 5xx is permanent only for RCPT TO and DATA', () => {
    const err = (command: string, responseCode: number, code = 'EENVELOPE') => Object.assign(new Error('x'), { code, command, responseCode, permanent: responseCode >= 500 });
    for (const command of ['CONN', 'EHLO', 'HELO', 'MAIL FROM', 'AUTH PLAIN']) assert.equal(classifySmtpError(err(command, 554, 'EPROTOCOL')).permanent, false, command);
    assert.equal(classifySmtpError(err('RCPT TO', 550)).permanent, true);
    assert.equal(classifySmtpError(err('DATA', 554, 'EMESSAGE')).permanent, true);
    assert.equal(classifySmtpError(err('RCPT TO', 451)).permanent, false);
    assert.equal(classifySmtpError(err('DATA', 503)).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('Invalid sender "x"'), { code: 'EENVELOPE', command: 'API' })).permanent, false);
  });

  it('refuses an address field that names more than one mailbox before any server sees it (permanent)', async () => {
    const mailer = smtpMailer(smtp.url, 'mail@evently.test');
    const before = smtp.messages.length;
    for (const to of ['victim@example.com, attacker@evil.test', 'victim@example.com;attacker@evil.test', 'Victim <victim@example.com>', 'a b@example.com', '"a,b"@example.com']) {
      const err = await mailer.send(message(to)).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof MailDeliveryError && err.permanent, `${to}: ${String(err)}`);
    }
    assert.equal(smtp.messages.length, before);
    assert.equal(smtp.rcptAttempts('attacker@evil.test'), 0);
    assert.equal(isSingleAddress('victim@example.com'), true);
  });
});
