export interface RateLimitRule {
  /** Distinguishes limiters sharing a store, e.g. `login:ip`. */
  name: string;
  /** Requests allowed per window. */
  points: number;
  /** A fixed window starting at a key's first hit; rounded up to whole seconds (the library's unit). */
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Time until the window frees capacity again. */
  resetMs: number;
}

/**
 * Atomic counting: N parallel hits on one key never allow more than `points`. `hit` returns a
 * refusal as a decision; it throws when the store fails (so the caller picks fail-open or fail-closed)
 * and when two rules share a name but not their numbers.
 */
export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  hit(rule: RateLimitRule, key: string, points?: number): Promise<RateLimitDecision>;
  reset(rule: RateLimitRule, key: string): Promise<void>;
}
