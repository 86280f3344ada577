/**
 * Thrown by a job handler when retrying cannot help (a mail server's 5xx, a recipient that does not
 * exist): the job skips its remaining attempts and goes straight to the dead-letter set, where it can
 * still be inspected and retried by hand. Any other error means "try again later".
 */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** By name as well as class: a second copy of this module (two bundles, a test kit) must still count. */
export function isPermanentJobError(err: unknown): boolean {
  return err instanceof PermanentJobError || (err instanceof Error && err.name === 'PermanentJobError');
}
