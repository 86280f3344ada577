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

let dummy: Promise<string> | undefined;
/**
 * Verifies against a hash of a random secret: a login for an unknown email costs what a wrong
 * password costs, so the response time does not tell whether the account exists.
 */
export async function burnVerification(secret: string): Promise<void> {
  dummy ??= hashSecret(randomBytes(16).toString('hex'));
  await verifySecret(await dummy, secret);
}

/** SPEC §3: 8–128 characters with an upper-case letter, a lower-case letter and a digit. */
export function checkPasswordPolicy(password: string, field = 'password'): void {
  const problems: string[] = [];
  if (password.length < 8 || password.length > 128) problems.push('be 8 to 128 characters long');
  if (!/[a-z]/.test(password)) problems.push('contain a lower-case letter');
  if (!/[A-Z]/.test(password)) problems.push('contain an upper-case letter');
  if (!/[0-9]/.test(password)) problems.push('contain a digit');
  if (problems.length) {
    throw new AppError('VALIDATION_FAILED', 'password is too weak', { details: [{ field, message: `must ${problems.join(', ')}` }] });
  }
}

/** Six digits from the CSPRNG. */
export function newOtp(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}
