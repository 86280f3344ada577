import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { createOutbox, type DomainEvent } from '../../kernel/index.js';
import type { TestEvently } from '../../../test/support/evently.js';

/** Test helpers of the notifications suites (not a test file itself). */

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The raw message with quoted-printable undone, so the text can be searched. */
  body: string;
}

export interface TestSmtp {
  url: string;
  messages: ReceivedMail[];
  /** Mail to `address`, in arrival order. */
  to(address: string): ReceivedMail[];
  /** The next RCPT TO commands for `address` are answered with these codes, one each, in order. */
  failRcpt(address: string, ...codes: number[]): void;
  /** The next MAIL FROM commands (whatever the sender) are answered with these codes, one each. */
  failMailFrom(...codes: number[]): void;
  /** RCPT TO commands tried per address, failed ones included. */
  rcptAttempts(address: string): number;
  close(): Promise<void>;
}

function smtpError(code: number): Error & { responseCode: number } {
  const text = code >= 500 ? 'Mailbox unavailable' : 'Try again later';
  return Object.assign(new Error(`${text} (test)`), { responseCode: code });
}

function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A real SMTP server on a free local port that keeps what it accepts and fails on demand. */
export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const failures = new Map<string, number[]>();
  const attempts = new Map<string, number>();
  let mailFromFailures: number[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onMailFrom(_address, _session, callback) {
      const code = mailFromFailures.shift();
      callback(code ? smtpError(code) : null);
    },
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase();
      attempts.set(to, (attempts.get(to) ?? 0) + 1);
      const code = failures.get(to)?.shift();
      callback(code ? smtpError(code) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          body: decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8')),
        });
        callback(null);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    to: (address) => messages.filter((m) => m.to.includes(address.toLowerCase())),
    failRcpt: (address, ...codes) => void failures.set(address.toLowerCase(), codes),
    failMailFrom: (...codes) => void (mailFromFailures = codes),
    rcptAttempts: (address) => attempts.get(address.toLowerCase()) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Writes an auth event the way auth does (its outbox, in a transaction) and lets the relay and the
 * bus deliver it. `occurredAt` backdates it, to deliver events out of order.
 */
export async function emitAuthEvent(t: TestEvently, type: string, payload: unknown, occurredAt?: Date): Promise<DomainEvent> {
  return t.evently.database.db.transaction().execute(async (trx) => {
    const [event] = await createOutbox('auth').add(trx, { type, payload });
    if (!occurredAt) return event!;
    await sql`update auth.outbox set occurred_at = ${occurredAt} where id = ${event!.id}`.execute(trx);
    return { ...event!, occurredAt: occurredAt.toISOString() };
  });
}

export interface MailLogView {
  status: string;
  attempts: number;
  last_error: string | null;
  message_id: string | null;
  data: Record<string, unknown>;
  template: string;
}

export async function mailLogOf(t: TestEvently, eventId: string): Promise<MailLogView[]> {
  const { rows } = await sql<MailLogView>`select status, attempts, last_error, message_id, data, template
    from notifications.mail_log where event_id = ${eventId}`.execute(t.evently.database.db);
  return rows;
}

export async function devMailTo(t: TestEvently, to: string): Promise<{ subject: string; text: string; html: string; template: string }[]> {
  const res = await t.evently.app.inject({ method: 'GET', url: `/dev/mailbox?to=${encodeURIComponent(to)}` });
  if (res.statusCode !== 200) throw new Error(`GET /dev/mailbox answered ${res.statusCode}`);
  return (res.json() as { items: { subject: string; text: string; html: string; template: string }[] }).items;
}
