import { randomBytes } from 'node:crypto';

/** 128 random bits: another holder cannot guess a token to release or extend our lock. */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/** PX takes whole milliseconds ≥ 1; the memory implementation applies the same rule. */
export function validTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lock ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}
