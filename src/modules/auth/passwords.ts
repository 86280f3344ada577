import { randomBytes, randomInt } from 'node:crypto';
import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { AppError } from '../../kernel/index.js';

/** OWASP's Argon2id baseline: 19 MiB, 2 passes, 1 lane. */
const ARGON2: Options = { algorithm: 2 as Algorithm /* Argon2id; a const enum cannot be imported */, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, ARGON2);
}

/** False for a wrong secret and for a stored hash that cannot be parsed. */
export async function verifySecret(stored: string, secret: string): Promise<boolean> {
  try {
    return await verify(stored, secret);
  } catch {
    return false;
  }
}

/**
 * Passwords are compared as Unicode NFC: "é" typed as one code point or as e + accent is the same
 * password on every keyboard. Hash a password only through here.
 */
export function hashPassword(password: string): Promise<string> {
  return hashSecret(password.normalize('NFC'));
}

/**
 * Checks a password against a stored hash, or against a dummy one when there is none (an unknown
 * account), doing the same work either way: the time taken must not tell whether the account
 * exists. `rehash`: it matched only as typed, not normalised (a hash made before passwords were
 * normalised), so the caller stores a new hash. Both forms are tried at once, whatever the hash.
 */
export async function checkPassword(stored: string | undefined, password: string): Promise<{ match: boolean; rehash: boolean }> {
  const nfc = password.normalize('NFC');
  const hash = stored ?? (await dummyHash());
  const [asNfc, asTyped] = await Promise.all([verifySecret(hash, nfc), nfc === password ? false : verifySecret(hash, password)]);
  if (stored === undefined) return { match: false, rehash: false };
  return { match: asNfc || asTyped, rehash: !asNfc && asTyped };
}

let dummy: Promise<string> | undefined;
const dummyHash = () => (dummy ??= hashSecret(randomBytes(16).toString('hex')));

/** Verifies a secret against the dummy hash: the cost of a check that has nothing to check. */
export async function burnVerification(secret: string): Promise<void> {
  await verifySecret(await dummyHash(), secret);
}

/**
 * SPEC §3: 8–128 characters with an upper-case letter, a lower-case letter and a digit, counted in
 * NFC; no control characters (they cannot be typed reliably and hide in copy-paste).
 */
export function checkPasswordPolicy(raw: string, field = 'password'): void {
  const password = raw.normalize('NFC');
  const problems: string[] = [];
  if (password.length < 8 || password.length > 128) problems.push('be 8 to 128 characters long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(password)) problems.push('contain no control characters');
  if (!/[a-z]/.test(password)) problems.push('contain a lower-case letter');
  if (!/[A-Z]/.test(password)) problems.push('contain an upper-case letter');
  if (!/[0-9]/.test(password)) problems.push('contain a digit');
  if (problems.length) {
    throw new AppError('VALIDATION_FAILED', 'password is too weak', { details: [{ field, message: `must ${problems.join(', ')}` }] });
  }
}

/** Six digits from the CSPRNG: the email verification code (SPEC §3). */
export function newOtp(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

/** Crockford's base32: no I, L, O or U, so nothing reads as another character. */
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A password reset code: 10 characters of Crockford base32 (50 bits), shown as XXXXX-XXXXX. It
 * guards an existing account, so it is long enough that guessing is hopeless at any rate the limits
 * allow, and a code needs no guess counter that strangers could use up to void the owner's.
 */
export function newResetCode(): string {
  const chars = Array.from({ length: 10 }, () => CODE_ALPHABET[randomInt(0, 32)]!);
  return `${chars.slice(0, 5).join('')}-${chars.slice(5).join('')}`;
}

/**
 * A typed code as it was issued: hyphens and spaces dropped, upper case, and the letters Crockford
 * reads as digits (O → 0, I and L → 1). Six digits stay six digits.
 */
export function normaliseCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
