import type { CacheSetOptions } from './types.js';

/** JSON text of a value to cache (what Redis stores); refuses what JSON cannot carry. */
export function encode(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('cache values must be JSON-serialisable (got undefined or a function)');
  return json;
}

/** PX takes whole milliseconds ≥ 1; the memory cache applies the same rule so both behave alike. */
export function validTtl(options: CacheSetOptions): number {
  const { ttlMs } = options;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`cache ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

export function uniqueTags(options: CacheSetOptions): string[] {
  return options.tags?.length ? [...new Set(options.tags)] : [];
}

/** The part of a pino logger the caches use; any pino logger fits. */
export interface CacheLogger {
  warn(obj: object, msg: string): void;
}

/** Escapes Redis glob metacharacters so a literal prefix can go into SCAN MATCH. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * What a cache hands out: decoded once, detached from the caller's object and deep-frozen, so every
 * hit returns the same value without decoding it again and no reader can change it for the others
 * (assigning to it throws in strict-mode code, which every ES module is).
 */
export function shareable<T>(json: string): T {
  return deepFreeze(JSON.parse(json) as T);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
