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
  /**
   * Older payload versions a consumer can still read, made into the current one (events written
   * before an upgrade and delivered after it). A version without one, or an upcast that returns
   * undefined, cannot be made whole: such an event does not meet the contract.
   */
  upcast?: Readonly<Record<number, (payload: Record<string, unknown>) => unknown>>;
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
  const payload = current(contract, event);
  return payload !== undefined && Value.Check(contract.payload, payload) ? (payload as PayloadOf<C[T]>) : undefined;
}

/**
 * payloadIf for an event that may be any of `types` (states of one entity, sharing a payload
 * schema): the payload of the event's own type when it is one of them, else undefined.
 */
export function payloadOfAny<C extends Contracts, T extends keyof C & string>(contracts: C, types: readonly T[], event: ReceivedEvent): PayloadOf<C[T]> | undefined {
  return (types as readonly string[]).includes(event.type) ? payloadIf(contracts, event, event.type as T) : undefined;
}

/** The payload at the contract's version: as it is, or upcast from an older one; else undefined. */
function current(contract: EventContract, event: ReceivedEvent): unknown {
  if (event.version === contract.version) return event.payload;
  const upcast = contract.upcast?.[event.version];
  return upcast && event.payload && typeof event.payload === 'object' ? upcast(event.payload as Record<string, unknown>) : undefined;
}

/** Why an event does not meet its contract (for logs and the contract test), or undefined if it does. */
export function contractViolation(contracts: Contracts, event: ReceivedEvent): string | undefined {
  const contract = contracts[event.type];
  if (!contract) return `no contract for ${event.type}`;
  const payload = current(contract, event);
  if (payload === undefined) return `${event.type} has payload version ${event.version}, the contract ${contract.version} (no upcast from it)`;
  const first = Value.Errors(contract.payload, payload)[0];
  return first ? `${event.type}: ${first.instancePath || '(payload)'} ${first.message}` : undefined;
}
