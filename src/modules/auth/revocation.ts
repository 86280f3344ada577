import { sql } from 'kysely';
import type { Tx } from '../../kernel/index.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { revokedSince, type RevokeReason, type Revoked } from './sessions.repository.js';

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

/**
 * At start: the revocation list may be new (in memory, or a Redis that lost its data) while tokens
 * of recently revoked sessions are still alive, so every revocation they could outlive is put back.
 */
export async function reloadRevocations(deps: AuthDeps): Promise<void> {
  // A revocation made now must be kept this long; one made longer ago than that covers no live token.
  const since = new Date(Date.now() - deps.access.revocationTtlMs(new Date()));
  const rows = await revokedSince(deps.db, since);
  await Promise.all(rows.map((r) => deps.access.revocations.revokeSession(r.id, deps.access.revocationTtlMs(r.revoked_at))));
  if (rows.length) deps.logger.info({ sessions: rows.length, since }, 'recent revocations reloaded');
}

const CODE_EVENTS = ['auth.otp.requested', 'auth.password_reset.requested'];

/**
 * Codes travel (sealed) in two event types so notifications can mail them; once the relay has
 * published such an event, its outbox row no longer needs even the ciphertext.
 */
export async function forgetSentCodes(deps: AuthDeps, o: { recentOnly: boolean }): Promise<number> {
  // The frequent pass looks at the last hour only (an index range); the hourly one at everything.
  const recent = o.recentOnly ? sql`and published_at > now() - interval '1 hour'` : sql``;
  const r = await sql`
    update auth.outbox set payload = payload - 'otp' - 'otp_sealed'
    where published_at is not null ${recent} and type in (${sql.join(CODE_EVENTS)}) and payload ?| array['otp', 'otp_sealed']`.execute(deps.db);
  return Number(r.numAffectedRows ?? 0);
}
