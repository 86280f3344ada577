import { AppError } from './errors.js';

/**
 * Failures that say "not now" rather than "broken": the request may succeed if sent again shortly,
 * so it answers 503 with Retry-After instead of 500. `OVERLOADED`: we are busy (no free database
 * connection, a lock or statement limit hit, the server out of connections). `SERVICE_UNAVAILABLE`:
 * a dependency cannot be reached.
 */
export interface Unavailability {
  code: 'OVERLOADED' | 'SERVICE_UNAVAILABLE';
  dependency: 'database' | 'redis' | 'network';
  /** For the log line (never sent to the client). */
  reason: string;
  retryAfterSeconds: number;
}

const PG_OVERLOAD: Record<string, string> = {
  // Still conflicting after the transaction helper's retries: contention, not a bug.
  '40001': 'serialization failures outlasted the transaction retries',
  '40P01': 'deadlocks outlasted the transaction retries',
  '55P03': 'lock wait exceeded DATABASE_LOCK_TIMEOUT_MS',
  '57014': 'statement exceeded DATABASE_STATEMENT_TIMEOUT_MS',
  '53300': 'the database server has no connection left (too_many_connections)',
  '53400': 'the database server hit a configured limit',
};

const PG_DOWN: Record<string, string> = {
  '57P01': 'the database server is shutting down',
  '57P02': 'the database server crashed',
  '57P03': 'the database server is starting up',
  '53100': 'the database server is out of disk space',
  '53200': 'the database server is out of memory',
};

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** ioredis: the shared client fails fast while Redis is away (no offline queue, one retry). */
const REDIS_MESSAGES = [
  "Stream isn't writeable and enableOfflineQueue options is false",
  'Connection is closed.',
  'Command timed out',
  'Reached the max retries per request limit',
];

function classifyOne(err: unknown): Unavailability | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (PG_OVERLOAD[code]) return { code: 'OVERLOADED', dependency: 'database', reason: PG_OVERLOAD[code]!, retryAfterSeconds: 1 };
  if (PG_DOWN[code] || code.startsWith('08')) {
    return { code: 'SERVICE_UNAVAILABLE', dependency: 'database', reason: PG_DOWN[code] ?? `database connection failed (${code})`, retryAfterSeconds: 5 };
  }
  // pg-pool: every pooled connection was busy for DATABASE_POOL_TIMEOUT_MS.
  if (message === 'timeout exceeded when trying to connect') {
    return { code: 'OVERLOADED', dependency: 'database', reason: 'no free database connection within DATABASE_POOL_TIMEOUT_MS', retryAfterSeconds: 1 };
  }
  if (message.startsWith('Connection terminated')) {
    return { code: 'SERVICE_UNAVAILABLE', dependency: 'database', reason: message, retryAfterSeconds: 5 };
  }
  if (e.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((m) => message.startsWith(m))) {
    return { code: 'SERVICE_UNAVAILABLE', dependency: 'redis', reason: message, retryAfterSeconds: 5 };
  }
  if (NET_CODES.has(code)) return { code: 'SERVICE_UNAVAILABLE', dependency: 'network', reason: message || code, retryAfterSeconds: 5 };
  return undefined;
}

/** What makes `err` (or an error it wraps) a temporary unavailability, if anything does. */
export function unavailability(err: unknown): Unavailability | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const found = classifyOne(current);
    if (found) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The 503 a request answers for such a failure: a stable code, a plain message, Retry-After. */
export function unavailableError(u: Unavailability, cause: unknown): AppError {
  const message = u.code === 'OVERLOADED' ? 'the service is busy; try again shortly' : 'the service is temporarily unavailable; try again shortly';
  return new AppError(u.code, message, { cause, headers: { 'retry-after': String(u.retryAfterSeconds) } });
}
