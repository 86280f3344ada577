import { bool, optional, str, url, type ModuleSettings, type ParsedSettings } from '../../kernel/index.js';

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
    doc: 'Keep outgoing mail in the database and show it at `GET /dev/mailbox` instead of (or, with SMTP_URL, besides) sending it. Refused in production: it shows every code to anyone.',
  })),
} as const;

export const mailSettings: ModuleSettings<MailConfig> = {
  table: MAIL_SETTINGS,
  slice(raw, platform) {
    const s = raw as ParsedSettings<typeof MAIL_SETTINGS>;
    return { smtpUrl: s.SMTP_URL, from: s.MAIL_FROM, devMailbox: s.EVENTLY_DEV_MAILBOX ?? (!s.SMTP_URL && platform.env !== 'production') };
  },
  check(c, platform) {
    if (platform.env !== 'production') return [];
    const problems: string[] = [];
    // The dev mailbox shows every verification and reset code to whoever asks.
    if (c.devMailbox) problems.push('EVENTLY_DEV_MAILBOX cannot be on in production: it would publish every code and reset email');
    else if (!c.smtpUrl) problems.push('SMTP_URL is required in production to run the notifications module (mail would have nowhere to go)');
    return problems;
  },
};
