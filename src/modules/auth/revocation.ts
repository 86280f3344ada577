import type { Tx } from '../../kernel/index.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import type { RevokeReason, Revoked } from './sessions.repository.js';

/** In the revoking transaction: one `auth.session.revoked` per session, so every module learns of it. */
export async function announceRevoked(deps: AuthDeps, trx: Tx, revoked: Revoked[], reason: RevokeReason): Promise<void> {
  if (revoked.length) await deps.outbox.add(trx, ...revoked.map((r) => authEvents.sessionRevoked(r, reason)));
}

/**
 * After commit: put the sessions on the revocation list at once, so this process (and, with Redis,
 * every process) refuses their tokens without waiting for the event. If this fails, the event
 * written in the transaction still gets there.
 */
export async function applyRevoked(deps: AuthDeps, revoked: Revoked[]): Promise<void> {
  const ttl = deps.access.revocationTtlMs(new Date());
  await Promise.all(
    revoked.map((r) =>
      deps.access.revocations.revokeSession(r.id, ttl).catch((err: Error) =>
        deps.logger.warn({ session_id: r.id, err: err.message }, 'could not record a revocation now; its event will'),
      ),
    ),
  );
}
