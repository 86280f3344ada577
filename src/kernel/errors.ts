/**
 * The one error type. Codes are a closed set and stable: clients switch on them.
 * Expected business outcomes are returned as values; AppError is for requests that cannot proceed.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  /** A dependency (database, Redis) cannot be reached right now; Retry-After says when to try again. */
  SERVICE_UNAVAILABLE: 503,
  /** Too busy right now (no free database connection, a lock or statement limit hit); retry shortly. */
  OVERLOADED: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  field?: string;
  message: string;
  [key: string]: unknown;
}

export interface AppErrorOptions {
  details?: ErrorDetail[];
  cause?: unknown;
  headers?: Record<string, string>;
}

export class AppError extends Error {
  /** A platform code (ERROR_STATUS) or one a module declared with defineErrors. */
  readonly code: string;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options?: AppErrorOptions);
  /** For defineErrors: a module's code with the status it declared. */
  constructor(code: string, message: string, options: AppErrorOptions & { status: number });
  constructor(code: string, message: string, options: AppErrorOptions & { status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? ERROR_STATUS[code as ErrorCode];
    this.details = options.details;
    this.headers = options.headers;
  }
}

export type ErrorTable = Readonly<Record<string, number>>;

export interface ModuleErrors<C extends string> {
  (code: C, message: string, options?: AppErrorOptions): AppError;
  readonly table: Readonly<Record<C, number>>;
  /** True when `err` is this module's error with that code. */
  is(err: unknown, code: C): err is AppError;
}

/**
 * A module's own error codes and their statuses. The module throws them through the returned
 * factory; the composition root merges every module's table into the one code table
 * (errorCodeTable), which refuses a code declared twice.
 */
export function defineErrors<const T extends ErrorTable>(table: T): ModuleErrors<keyof T & string> {
  for (const [code, status] of Object.entries(table)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(code) || !(status >= 400 && status < 600)) throw new Error(`invalid error code ${code}: ${status}`);
  }
  const make = (code: keyof T & string, message: string, options: AppErrorOptions = {}) => new AppError(code, message, { ...options, status: table[code]! });
  return Object.assign(make, {
    table,
    is: (err: unknown, code: keyof T & string): err is AppError => err instanceof AppError && err.code === code,
  });
}

/** The platform's codes and every module's, as one table; a code declared twice is a mistake. */
export function errorCodeTable(moduleTables: readonly ErrorTable[]): Readonly<Record<string, number>> {
  const all: Record<string, number> = { ...ERROR_STATUS };
  for (const table of moduleTables) {
    for (const [code, status] of Object.entries(table)) {
      if (code in all) throw new Error(`error code ${code} is declared twice (a module may not reuse a platform code or another module's)`);
      all[code] = status;
    }
  }
  return Object.freeze(all);
}

/** The SPEC §8 envelope. Never carries stack traces or SQL. */
export interface ErrorEnvelope {
  error: { code: string; message: string; request_id: string; details?: ErrorDetail[] };
}

export function envelope(err: AppError, requestId: string): ErrorEnvelope {
  const body: ErrorEnvelope = { error: { code: err.code, message: err.message, request_id: requestId } };
  if (err.details?.length) body.error.details = err.details;
  return body;
}
