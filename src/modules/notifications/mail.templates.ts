import { BOOKING_RENDERERS, BOOKING_TEMPLATES } from './booking.templates.js';
import { escapeHtml, field, greeting, page, type RenderedMail, type TemplateInput } from './mail.base.js';

export { escapeHtml, TemplateDataError, type RenderedMail, type TemplateInput } from './mail.base.js';

/** The emails, each with a subject, a text part and an HTML part (rules in mail.base.ts). */
const AUTH_TEMPLATES = ['verify_email', 'welcome', 'password_reset', 'account_exists'] as const;
export const TEMPLATES = [...AUTH_TEMPLATES, ...BOOKING_TEMPLATES] as const;
export type TemplateName = (typeof TEMPLATES)[number];

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
  ...BOOKING_RENDERERS,
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
