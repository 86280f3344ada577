import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { isEmailAddress, type Executor } from '../../kernel/index.js';
import type { MailConfig } from './mail.settings.js';
import { storeDevMail } from './dev-mailbox.repository.js';
import type { Attachment } from './mail.base.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  template: string;
  /** The mail's key (mail_log): its Message-ID is made from it, the same for every send of one mail. */
  key: string;
  attachments?: Attachment[];
}

/**
 * Where mail goes. `send` gets the job's transaction so that a mailbox kept in the database commits
 * together with the row that says the mail was sent. It throws MailDeliveryError when the mail did
 * not go out; it never swallows a failure.
 */
/**
 * Where mail goes, in two steps the send job keeps apart:
 * - `send` hands the message to a server outside the database (SMTP). It runs outside any
 *   transaction, after the job has committed its claim on the row, and throws MailDeliveryError
 *   when the mail did not go out; it never swallows a failure. Absent for the dev mailbox alone.
 * - `keep` writes a copy in the database (the dev mailbox), in the short transaction that marks
 *   the row sent, so the copy exists exactly when the row says the mail was sent.
 * At least one of them is present; the message id is `send`'s when there is one, else `keep`'s.
 */
export interface Mailer {
  send?(message: MailMessage): Promise<{ messageId: string }>;
  keep?(message: MailMessage, trx: Executor): Promise<{ messageId: string }>;
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

/**
 * One plain address and nothing a mail library could read as a list, a display name or a group:
 * Nodemailer splits "victim@example.com, attacker@evil.test" into two recipients; this refuses it
 * before any server sees it. The same rule auth applies to every address it accepts.
 */
export function isSingleAddress(to: string): boolean {
  return isEmailAddress(to);
}

export function assertSingleAddress(to: string): void {
  if (!isSingleAddress(to)) throw new MailDeliveryError(`refused recipient ${JSON.stringify(to)}: not a single plain address`, true);
}

/** Nodemailer's error fields we look at (see NodemailerError in its types). */
interface SmtpError extends Error {
  code?: string;
  command?: string;
  responseCode?: number;
  response?: string;
}

/** The commands whose 5xx reply is about this message or this recipient (`DATA` covers the final '.'). */
const MESSAGE_COMMANDS = new Set(['RCPT TO', 'DATA']);

/**
 * Permanent only when retrying the same message cannot help:
 * - a 5xx reply (503 "bad sequence" excluded) to `RCPT TO` or `DATA`: the server refuses this
 *   recipient or this content;
 * - a recipient nodemailer refuses before talking to any server (EENVELOPE without a reply).
 * Everything else is temporary, 5xx included: a 5xx to the greeting, EHLO, AUTH or MAIL FROM is
 * about our configuration (sender, credentials) or the server's state, not the message, and once
 * that is fixed the retries go through. So are 4xx replies, refused or dropped connections,
 * timeouts and TLS problems.
 */
export function classifySmtpError(err: unknown): MailDeliveryError {
  const e = err as SmtpError;
  const code = e?.responseCode;
  const refusedMessage = code !== undefined && code >= 500 && code < 600 && code !== 503 && MESSAGE_COMMANDS.has(e.command ?? '');
  const invalidRecipient = e?.code === 'EENVELOPE' && !code && /recipient/i.test(e.message ?? '');
  const detail = e?.response ?? e?.message ?? String(err);
  const what = `SMTP ${e?.code ?? 'error'}${e?.command ? ` ${e.command}` : ''}${code ? ` ${code}` : ''}`;
  return new MailDeliveryError(`${what}: ${detail}`, refusedMessage || invalidRecipient, { cause: err });
}

/**
 * A real SMTP conversation per message (no pool: nothing to close at shutdown, and a worker sends
 * a few mails a second at most). No transaction is open while it talks to the server; the timeouts
 * bound how long a claim stays 'sending'.
 */
/** `<hash of the key@the sender's domain>`: one mail keeps one Message-ID however often it is sent. */
export function messageIdOf(key: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'evently.local';
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 32)}@${domain}>`;
}

export function smtpMailer(smtpUrl: string, from: string): Required<Pick<Mailer, 'send'>> {
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
      assertSingleAddress(message.to);
      try {
        const info = await transport.sendMail({
          from, to: message.to, subject: message.subject, text: message.text, html: message.html, messageId: messageIdOf(message.key, from),
          attachments: message.attachments?.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
        });
        return { messageId: info.messageId };
      } catch (err) {
        throw classifySmtpError(err);
      }
    },
  };
}

export function devMailboxMailer(): Mailer {
  return {
    async keep(message, trx) {
      const id = await storeDevMail(trx, message);
      return { messageId: `<${id}@dev-mailbox.evently>` };
    },
  };
}

/** SMTP sends, the dev mailbox keeps a copy when the row is marked sent (so a failed send leaves none). */
function both(smtp: Mailer, dev: Mailer): Mailer {
  return { send: smtp.send, keep: dev.keep };
}

/** The mailer the configuration asks for; undefined when mail has nowhere to go. */
export function createMailer(mail: MailConfig): Mailer | undefined {
  const smtp = mail.smtpUrl ? smtpMailer(mail.smtpUrl, mail.from) : undefined;
  const dev = mail.devMailbox ? devMailboxMailer() : undefined;
  if (smtp && dev) return both(smtp, dev);
  return smtp ?? dev;
}
