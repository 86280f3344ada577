import { AUTH_EVENTS, type AuthEventType, type AuthPayload } from '../../contracts/auth.js';
import { contractViolation, payloadIf } from '../../contracts/contract.js';
import type { DomainEvent, Logger } from '../../kernel/index.js';

export type { AuthPayload } from '../../contracts/auth.js';

/**
 * The event's payload when it is of type `type` and meets auth's contract (src/contracts/auth.ts),
 * else undefined (logged when the type matched). The consumer then applies nothing: throwing would
 * only retry, until dead-lettered, an event that will never match.
 */
export function payloadOf<T extends AuthEventType>(event: DomainEvent, type: T, logger: Logger): AuthPayload<T> | undefined {
  if (event.type !== type) return undefined;
  const payload = payloadIf(AUTH_EVENTS, event, type);
  if (!payload) logger.error({ event_id: event.id, type: event.type, version: event.version, why: contractViolation(AUTH_EVENTS, event) }, 'auth event does not meet its contract: ignored');
  return payload;
}
