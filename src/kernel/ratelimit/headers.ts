import type { RateLimitDecision } from './types.js';

/**
 * Response headers for a decision (IETF draft `RateLimit-*` fields plus `Retry-After` on refusals).
 * Seconds are rounded up so a client that waits the advertised time is not refused again.
 */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const resetSeconds = Math.ceil(decision.resetMs / 1000);
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(resetSeconds),
  };
  if (!decision.allowed) headers['Retry-After'] = String(Math.max(1, resetSeconds));
  return headers;
}
