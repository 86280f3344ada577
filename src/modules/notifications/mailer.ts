import { createTransport } from 'nodemailer';
import type { Config, Executor } from '../../kernel/index.js';
import { storeDevMail } from './dev-mailbox.repository.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  template: string;
}

/**
 * Where mail goes. `send` gets the job's transaction so that a mailbox kept in the database commits
 * together with the row that says the mail was sent. It throws MailDeliveryError when the mail did
 * not go out; it never swallows a failure.
 */
export interface Mailer {
  send(message: MailMessage, trx: Executor): Promise<{ messageId: string }>;
}

/** `permanent`: the server refused this message for good (retrying the same message cannot help). */
export class MailDeliveryError extends Error {
  override name = 'MailDeliveryError';

  constructor(
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Nodemailer's error fields we look at (see NodemailerError in its types). */
interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  permanent?: boolean;
}

/**
 * A 5xx reply to this message or its recipient is permanent (nodemailer sets `permanent` from the
 * reply class, 503 excluded), and so is an address nodemailer refuses before talking to a server.
 * Everything else is temporary: 4xx replies, refused or dropped connections, timeouts, TLS
 * problems — and a rejected login, which is our configuration being wrong, not the message: once
 * it is fixed the retries go through.
 */
export function classifySmtpError(err: unknown): MailDeliveryError {
  const e = err as SmtpError;
  const invalidEnvelope = e?.code === 'EENVELOPE' && !e.responseCode;
  const permanent = (e?.permanent === true && e.code !== 'EAUTH') || invalidEnvelope;
  const detail = e?.response ?? e?.message ?? String(err);
  return new MailDeliveryError(`SMTP ${e?.code ?? 'error'}${e?.responseCode ? ` ${e.responseCode}` : ''}: ${detail}`, permanent, { cause: err });
}

/**
 * A real SMTP conversation per message (no pool: nothing to close at shutdown, and a worker sends
 * a few mails a second at most). Timeouts are short because the job holds a database transaction
 * while it talks to the server.
 */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    // Templates never attach files or URLs; nothing should make the mailer read them.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async send(message) {
      try {
        const info = await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text, html: message.html });
        return { messageId: info.messageId };
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
  };
}

export function devMailboxMailer(): Mailer {
  return {
    async send(message, trx) {
      const id = await storeDevMail(trx, message);
      return { messageId: `<${id}@dev-mailbox.evently>` };
    },
  };
}

/** SMTP first: if it fails, nothing was stored, so a retry does not leave a second copy in the mailbox. */
function both(smtp: Mailer, dev: Mailer): Mailer {
  return {
    async send(message, trx) {
      const sent = await smtp.send(message, trx);
      await dev.send(message, trx);
      return sent;
    },
  };
}

/** The mailer the configuration asks for; undefined when mail has nowhere to go. */
export function createMailer(mail: Config['mail']): Mailer | undefined {
  const smtp = mail.smtpUrl ? smtpMailer(mail.smtpUrl, mail.from) : undefined;
  const dev = mail.devMailbox ? devMailboxMailer() : undefined;
  if (smtp && dev) return both(smtp, dev);
  return smtp ?? dev;
}
