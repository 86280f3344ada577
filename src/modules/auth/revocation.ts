import { sql } from 'kysely';
import { afterCommit, type Tx } from '../../kernel/index.js';
import type { AuthDeps } from './auth.deps.js';
import { authEvents } from './auth.events.js';
import { revokedSince, revokeSessions, type RevokeFilter, type RevokeReason, type Revoked } from './sessions.repository.js';

/**
 * Revokes the matching sessions inside the caller's transaction (so they end with the change that
 * ends them) and writes one `auth.session.revoked` per session, so every module learns of it. Once
 * the transaction commits, the sessions go on the revocation list before its caller answers.
 */
export async function revokeInTransaction(deps: AuthDeps, trx: Tx, by: RevokeFilter, reason: RevokeReason): Promise<Revoked[]> {
  const revoked = await revokeSessions(trx, by, reason);
  if (revoked.length) {
    await deps.outbox.add(trx, ...revoked.map((r) => authEvents.sessionRevoked(r, reason)));
    afterCommit(trx, () => applyRevoked(deps, revoked));
  }
  return revoked;
}

/** Revokes sessions in a transaction of their own. */
export function revoke(deps: AuthDeps, by: RevokeFilter, reason: RevokeReason): Promise<Revoked[]> {
  return deps.transaction((trx) => revokeInTransaction(deps, trx, by, reason));
}

/**
 * Puts the sessions on the revocation list at once, so this process (and, with Redis, every
 * process) refuses their tokens without waiting for the event. If this fails, the event written in
 * the transaction still gets there.
 */
async function applyRevoked(deps: AuthDeps, revoked: Revoked[]): Promise<void> {
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
export async function reloadRevocations(deps: AuthDeps): Promise<number> {
  // A revocation made now must be kept this long; one made longer ago than that covers no live token.
  const since = new Date(Date.now() - deps.access.revocationTtlMs(new Date()));
  let count = 0;
  // Entries and the mark of a whole list together: until then every process answers 503 from it.
  await deps.access.revocations.restore(async () => {
    const rows = await revokedSince(deps.db, since);
    count = rows.length;
    return rows.map((r) => ({ sessionId: r.id, ttlMs: deps.access.revocationTtlMs(r.revoked_at) }));
  });
  if (count) deps.logger.info({ sessions: count, since }, 'recent revocations reloaded');
  return count;
}

/**
 * A periodic task of every auth process: when the shared list lost its data (a Redis restarted
 * without persistence, or flushed), it is reloaded from the database at once; meanwhile every
 * process answers 503 for protected routes instead of honouring a revoked session's token.
 */
export async function restoreLostRevocations(deps: AuthDeps): Promise<void> {
  if (await deps.access.revocations.isComplete()) return;
  deps.logger.warn('the revocation list may have lost entries (Redis restarted or was flushed): reloading it from the database');
  await reloadRevocations(deps);
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
    update auth.outbox set payload = payload - 'otp_sealed'
    where published_at is not null ${recent} and type in (${sql.join(CODE_EVENTS)}) and payload ? 'otp_sealed'`.execute(deps.db);
  return Number(r.numAffectedRows ?? 0);
}
