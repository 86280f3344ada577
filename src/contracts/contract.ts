import { type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';

/**
 * An event contract: the payload schema of one event type at one schema version. Producer and
 * consumers import the same object: the producer is typed by it, consumers check arrivals with it.
 */
export interface EventContract<S extends TSchema = TSchema> {
  /** The payload's schema version (DomainEvent.version): bumped on an incompatible change. */
  version: number;
  payload: S;
}

export type Contracts = Readonly<Record<string, EventContract>>;

/** The TypeScript type of a contract's payload. */
export type PayloadOf<C extends EventContract> = Static<C['payload']>;

/** What a consumer receives: the envelope fields a contract check needs. */
export interface ReceivedEvent {
  type: string;
  version: number;
  payload: unknown;
}

/**
 * The payload when the event is of that type, at the contract's version, and matches its schema;
 * else undefined. A mismatch will not match on a redelivery either, so consumers log and skip it
 * rather than throw (which would only retry it until it is dead-lettered).
 */
export function payloadIf<C extends Contracts, T extends keyof C & string>(contracts: C, event: ReceivedEvent, type: T): PayloadOf<C[T]> | undefined {
  if (event.type !== type) return undefined;
  const contract = contracts[type]!;
  return event.version === contract.version && Value.Check(contract.payload, event.payload) ? (event.payload as PayloadOf<C[T]>) : undefined;
}

/** Why an event does not meet its contract (for logs and the contract test), or undefined if it does. */
export function contractViolation(contracts: Contracts, event: ReceivedEvent): string | undefined {
  const contract = contracts[event.type];
  if (!contract) return `no contract for ${event.type}`;
  if (event.version !== contract.version) return `${event.type} has payload version ${event.version}, the contract ${contract.version}`;
  const first = Value.Errors(contract.payload, event.payload)[0];
  return first ? `${event.type}: ${first.instancePath || '(payload)'} ${first.message}` : undefined;
}
