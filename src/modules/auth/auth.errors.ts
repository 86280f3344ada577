import { defineErrors } from '../../kernel/index.js';

/** Auth's own error codes (stable: clients switch on them). */
export const authError = defineErrors({
  /**
   * Any failure of a one-time code: wrong, expired, used, used up (5 guesses), never sent, a wrong
   * password with it, an unknown account. One answer for all, so it tells a stranger nothing.
   */
  OTP_INVALID: 400,
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
