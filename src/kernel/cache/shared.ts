import type { CacheSetOptions } from './types.js';

/** Both implementations store JSON text, so a cached value never aliases a caller's object. */
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
