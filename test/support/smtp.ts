import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server for tests: the mail pipeline is tested over a real SMTP conversation. */

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
