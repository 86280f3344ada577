import { createHash } from 'node:crypto';
import { AppError, isEmailAddress } from '../../kernel/index.js';

const USERNAME = /^[a-z0-9_-]{3,100}$/;

/** SPEC §3: trimmed and lower-cased, so `Ann@X.org ` and `ann@x.org` are one account. */
export function normaliseEmail(raw: string, field = 'email'): string {
  const email = raw.trim().toLowerCase();
  if (!isEmailAddress(email)) {
    throw new AppError('VALIDATION_FAILED', 'email is not a valid address', { details: [{ field, message: 'must be a single email address' }] });
  }
  return email;
}

/** Lower-cased; 3–100 of a-z, 0-9, `_` and `-`. */
export function normaliseUsername(raw: string, field = 'username'): string {
  const username = raw.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    throw new AppError('VALIDATION_FAILED', 'username is not valid', { details: [{ field, message: 'must be 3 to 100 of a-z, 0-9, _ and -' }] });
  }
  return username;
}

/** Names are free text but never blank, and have no control characters (they end up in mail headers). */
export function normaliseName(raw: string | null | undefined): string | null {
  if (raw === undefined || raw === null) return null;
  // eslint-disable-next-line no-control-regex
  const name = raw.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return name === '' ? null : name;
}

/** Rate-limit keys never hold an address in clear text. */
export function emailKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url').slice(0, 32);
}
