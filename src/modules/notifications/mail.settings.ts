import { bool, isLoopbackHost, optional, str, url, type ModuleSettings, type ParsedSettings } from '../../kernel/index.js';

/** Where mail goes: SMTP, the dev mailbox, or both. */
export interface MailConfig {
  smtpUrl: string | undefined;
  from: string;
  devMailbox: boolean;
}

export const MAIL_SETTINGS = {
  SMTP_URL: optional(url({
    protocols: ['smtp:', 'smtps:'],
    secret: true,
    defaultDoc: 'dev mailbox',
    doc: 'Outgoing mail server (`smtps://` for implicit TLS; `smtp://` upgrades with STARTTLS when offered). Absent: mail goes to the dev mailbox.',
  })),
  MAIL_FROM: str({ default: 'Evently <no-reply@evently.local>', doc: 'Sender of every email.' }),
  EVENTLY_DEV_MAILBOX: optional(bool({
    defaultDoc: 'on without SMTP_URL outside production',
    doc: 'Keep outgoing mail in the database and show it at `GET /dev/mailbox` instead of (or, with SMTP_URL, besides) sending it. It shows every code to anyone who reaches it: refused in production, and with a HOST that is not loopback (127.0.0.0/8, ::1, localhost).',
  })),
} as const;

export const mailSettings: ModuleSettings<MailConfig> = {
  table: MAIL_SETTINGS,
  slice(raw, platform) {
    const s = raw as ParsedSettings<typeof MAIL_SETTINGS>;
    return { smtpUrl: s.SMTP_URL, from: s.MAIL_FROM, devMailbox: s.EVENTLY_DEV_MAILBOX ?? (!s.SMTP_URL && platform.env !== 'production') };
  },
  check(c, platform, raw) {
    const problems: string[] = [];
    if (platform.env === 'production') {
      // The dev mailbox shows every verification and reset code to whoever asks.
      if (c.devMailbox) problems.push('EVENTLY_DEV_MAILBOX cannot be on in production: it would publish every code and reset email');
      else if (!c.smtpUrl) problems.push('SMTP_URL is required in production to run the notifications module (mail would have nowhere to go)');
    } else if (c.devMailbox && platform.roles.includes('http') && !isLoopbackHost(platform.http.host)) {
      // Outside production too: on an address other machines reach, anyone could read the codes.
      problems.push(
        `the dev mailbox is on (${(raw as ParsedSettings<typeof MAIL_SETTINGS>).EVENTLY_DEV_MAILBOX === undefined ? 'by default: SMTP_URL is not set' : 'EVENTLY_DEV_MAILBOX=true'}) while HOST=${platform.http.host} is not a loopback address: ` +
          'GET /dev/mailbox would show every verification and password-reset code to anyone who can reach this port. ' +
          'Send mail with SMTP_URL instead (EVENTLY_DEV_MAILBOX unset or false), or listen on 127.0.0.1, ::1 or localhost (HOST)',
      );
    }
    return problems;
  },
};
