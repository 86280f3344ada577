/**
 * The one error type. Codes are a closed set and stable: clients switch on them.
 * Expected business outcomes are returned as values; AppError is for requests that cannot proceed.
 */
export const ERROR_STATUS = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 400,
  /** A one-time code that is wrong, expired, used, or was never sent. */
  OTP_INVALID: 400,
  /** The code took its last allowed wrong guess: a new one must be requested. */
  OTP_ATTEMPTS_EXCEEDED: 400,
  INVALID_CURRENT_PASSWORD: 400,
  UNAUTHENTICATED: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_REVOKED: 401,
  /** Unknown email and wrong password alike: no account enumeration. */
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  EMAIL_NOT_VERIFIED: 403,
  ACCOUNT_DISABLED: 403,
  /** An admin action an admin may not take on their own account (delete, deactivate). */
  CANNOT_TARGET_SELF: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  EMAIL_TAKEN: 409,
  USERNAME_TAKEN: 409,
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

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetail[]; cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers;
  }
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
