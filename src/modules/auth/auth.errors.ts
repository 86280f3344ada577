import { defineErrors } from '../../kernel/index.js';

/** Auth's own error codes (stable: clients switch on them). */
export const authError = defineErrors({
  /** A one-time code that is wrong, expired, used, or was never sent. */
  OTP_INVALID: 400,
  /** The code took its last allowed wrong guess: a new one must be requested. */
  OTP_ATTEMPTS_EXCEEDED: 400,
  INVALID_CURRENT_PASSWORD: 400,
  /** Unknown email and wrong password alike: no account enumeration. */
  INVALID_CREDENTIALS: 401,
  EMAIL_NOT_VERIFIED: 403,
  ACCOUNT_DISABLED: 403,
  /** An admin action an admin may not take on their own account (delete, deactivate). */
  CANNOT_TARGET_SELF: 403,
  EMAIL_TAKEN: 409,
  USERNAME_TAKEN: 409,
});
