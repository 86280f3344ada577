import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
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

/**
 * The client a limit counts: an IPv4 address, or the /64 network of an IPv6 one (a single host
 * usually has a whole /64 to itself, so per-address limits on IPv6 would limit nothing).
 */
export function clientKey(ip: string): string {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, `::` expanded (an embedded IPv4 tail converted). */
function expandIPv6(ip: string): string[] {
  let text = ip.toLowerCase().split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const middle = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((g) => g.padStart(4, '0'));
}
