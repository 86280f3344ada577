/**
 * The emails, each with a subject, a text part and an HTML part. Every value that comes from a user
 * (names, addresses) or from another service goes through `escapeHtml` in the HTML part; subjects
 * carry no user data at all, so no header can be shaped by a user.
 */
export const TEMPLATES = ['verify_email', 'welcome', 'password_reset', 'account_exists'] as const;
export type TemplateName = (typeof TEMPLATES)[number];

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** What the job knows when it renders: the greeting name (may be unknown) and the row's data. */
export interface TemplateInput {
  name: string | null;
  data: Record<string, unknown>;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** A template whose data lacks a field cannot be sent, now or on a retry. */
export class TemplateDataError extends Error {
  override name = 'TemplateDataError';
}

function field(data: Record<string, unknown>, key: string): string {
  const value = data[key];
  if (typeof value !== 'string' && typeof value !== 'number') throw new TemplateDataError(`template data has no ${key}`);
  return String(value);
}

/** The shared HTML frame; `body` is already-escaped HTML. */
function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family:sans-serif;line-height:1.5">${body}<p style="color:#777">— Evently</p></body></html>`;
}

function greeting(name: string | null): { text: string; html: string } {
  return name ? { text: `Hi ${name},`, html: `<p>Hi ${escapeHtml(name)},</p>` } : { text: 'Hi,', html: '<p>Hi,</p>' };
}

function codeMail(subject: string, purpose: string, input: TemplateInput): RenderedMail {
  const code = field(input.data, 'otp');
  const minutes = field(input.data, 'valid_minutes');
  const expires = field(input.data, 'expires_at');
  const hi = greeting(input.name);
  const ignore = 'If you did not ask for this, you can ignore this email.';
  return {
    subject,
    text: `${hi.text}\n\n${purpose}: ${code}\n\nIt is valid for ${minutes} minutes (until ${expires}).\n${ignore}\n\n— Evently\n`,
    html: page(subject,
      `${hi.html}<p>${escapeHtml(purpose)}:</p>` +
      `<p style="font-size:28px;font-weight:bold;letter-spacing:4px">${escapeHtml(code)}</p>` +
      `<p>It is valid for ${escapeHtml(minutes)} minutes (until ${escapeHtml(expires)}).</p><p>${escapeHtml(ignore)}</p>`),
  };
}

const RENDERERS: Record<TemplateName, (input: TemplateInput) => RenderedMail> = {
  verify_email: (input) => codeMail('Your Evently verification code', 'Your code to verify your email address', input),
  password_reset: (input) => codeMail('Reset your Evently password', 'Your code to reset your password', input),
  // Someone registered an address that has an account: tell its owner, who may have forgotten it.
  account_exists(input) {
    const subject = 'You already have an Evently account';
    const hi = greeting(input.name);
    const lines = [
      'Someone, maybe you, just tried to create an Evently account with this email address. It already has one.',
      'Sign in with it; if you do not remember the password, ask for a password reset on the sign-in page.',
      'If this was not you, you can ignore this email: nothing has changed.',
    ];
    return {
      subject,
      text: `${hi.text}\n\n${lines.join('\n\n')}\n\n— Evently\n`,
      html: page(subject, `${hi.html}${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}`),
    };
  },
  welcome(input) {
    const subject = 'Welcome to Evently';
    const hi = greeting(input.name);
    const line = 'Your email address is verified and your account is ready: browse events and book your tickets.';
    return {
      subject,
      text: `${hi.text}\n\n${line}\n\n— Evently\n`,
      html: page(subject, `${hi.html}<p>${escapeHtml(line)}</p>`),
    };
  },
};

export function isTemplateName(name: string): name is TemplateName {
  return (TEMPLATES as readonly string[]).includes(name);
}

export function renderMail(template: TemplateName, input: TemplateInput): RenderedMail {
  return RENDERERS[template](input);
}
