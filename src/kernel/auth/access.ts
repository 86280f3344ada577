import { createRemoteJWKSet } from 'jose';
import { AUTH_EVENTS } from '../../contracts/auth.js';
import { payloadIf } from '../../contracts/contract.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import { runWithContext } from '../context.js';
import type { EventBus } from '../messaging/types.js';
import { createAuthGuards, type AuthGuards } from './guards.js';
import { createKeyDirectory, type KeyDirectory } from './key-directory.js';
import type { RevocationStore } from './revocations.js';
import { createTokenVerifier, type TokenVerifier } from './tokens.js';

/** What every module gets to protect its routes: guards, and the stores behind them. */
export interface Access extends AuthGuards {
  verifier: TokenVerifier;
  revocations: RevocationStore;
  /** Filled by the auth module when this process runs it; undefined when keys come from AUTH_JWKS_URL. */
  keyDirectory: KeyDirectory | undefined;
  /** How long a revocation must be remembered: every token it covers has expired by then. */
  revocationTtlMs(revokedAt: Date): number;
}

/** Slack on top of the token lifetime: clock tolerance of the verifier plus clock skew between hosts. */
const REVOCATION_SLACK_MS = 60_000;

/**
 * In a process that runs the auth module, tokens are verified against the keys auth publishes in
 * process; elsewhere against auth's JWKS endpoint (cached, refetched when a token names a new `kid`).
 */
export function createAccess(config: Config, revocations: RevocationStore): Access {
  const keyDirectory = config.modules.includes('auth') ? createKeyDirectory() : undefined;
  const keys = keyDirectory?.resolver ?? createRemoteJWKSet(new URL(config.tokens.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 10_000 });
  const verifier = createTokenVerifier(keys, {
    issuer: config.tokens.issuer,
    audience: config.tokens.audience,
    ttlSeconds: config.tokens.accessTtlSeconds,
  });
  const lifetimeMs = config.tokens.accessTtlSeconds * 1000 + REVOCATION_SLACK_MS;
  return {
    ...createAuthGuards(verifier, revocations),
    verifier,
    revocations,
    keyDirectory,
    revocationTtlMs: (revokedAt) => revokedAt.getTime() + lifetimeMs - Date.now(),
  };
}

export const SESSION_REVOKED = 'auth.session.revoked';

/**
 * Every process that plays the worker role joins one consumer group that copies session revocations
 * into the store (shared Redis, or this process's memory). Writes are idempotent, so no inbox.
 */
export function subscribeRevocations(bus: EventBus, access: Access, logger: Logger): void {
  bus.subscribe({
    group: 'access',
    topics: [SESSION_REVOKED],
    handler: (event) =>
      runWithContext({ requestId: event.correlationId ?? event.id }, async () => {
        if (event.type !== SESSION_REVOKED) return;
        const revoked = payloadIf(AUTH_EVENTS, event, SESSION_REVOKED);
        if (!revoked) {
          logger.error({ event_id: event.id, version: event.version }, 'auth.session.revoked does not meet its contract: ignored');
          return;
        }
        const ttlMs = access.revocationTtlMs(new Date(event.occurredAt));
        if (ttlMs > 0) await access.revocations.revokeSession(revoked.session_id, ttlMs);
      }),
  });
}
