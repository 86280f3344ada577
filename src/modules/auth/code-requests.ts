import type { JobHandler } from '../../kernel/index.js';
import type { AuthDeps } from './auth.deps.js';
import { normaliseEmail } from './identity.js';
import { mailCode, type CodeRecipient } from './otp.service.js';
import type { OtpPurpose } from './otps.repository.js';
import type { AuthLimits } from './rate-limits.js';
import { findRegistration } from './registrations.repository.js';
import { findUserByEmail } from './users.repository.js';

export const MAIL_CODE_JOB = 'auth.mail-code';

export interface CodeRequest {
  email: string;
  purpose: OtpPurpose;
}

/**
 * resend-otp and forgot-password: the request only queues a job, the same work whatever the address,
 * so neither the answer nor its time tells whether an account exists or a mail goes out. The job
 * decides, and a queued job survives a restart (on Redis) like any other.
 */
export async function requestCode(deps: AuthDeps, email: string, purpose: OtpPurpose): Promise<void> {
  await deps.jobs.enqueue<CodeRequest>(MAIL_CODE_JOB, { email: normaliseEmail(email), purpose });
}

/** Who gets a code of that purpose for the address: an active account, or a pending registration. */
async function recipientFor(deps: AuthDeps, email: string, purpose: OtpPurpose): Promise<CodeRecipient | undefined> {
  const [account, pending] = await Promise.all([findUserByEmail(deps.db, email), findRegistration(deps.db, email)]);
  if (purpose === 'reset_password') return account?.is_active ? { user: account } : undefined;
  if (account) return !account.is_verified && account.is_active ? { user: account } : undefined;
  return pending ? { registration: pending } : undefined;
}

export function mailCodeJob(deps: AuthDeps, limits: AuthLimits): JobHandler<CodeRequest> {
  return async ({ email, purpose }) => {
    const recipient = await recipientFor(deps, email, purpose);
    if (!recipient) return 'skipped';
    await mailCode(deps, limits, recipient, purpose);
    return 'done';
  };
}
