/**
 * Events are facts: `<module>.<entity>.<past-verb>`, immutable once written.
 * `id` is unique per event and is what consumers deduplicate on.
 */
export interface DomainEvent<P = unknown> {
  id: string;
  type: string;
  /** Payload schema version; bump when the payload shape changes incompatibly. */
  version: number;
  occurredAt: string;
  /** Request id of the request that caused the event (travels to workers and their logs). */
  correlationId: string | null;
  payload: P;
}

export type EventHandler = (event: DomainEvent) => Promise<void>;

export interface Subscription {
  /** Consumer group: one per consuming module. Replicas in a group share the work. */
  group: string;
  /** Exact types (`auth.user.registered`) or module wildcards (`auth.*`). */
  topics: string[];
  handler: EventHandler;
}

/**
 * At-least-once delivery to every group. A handler that throws (or a process that dies before the
 * handler returns) gets the event again; handlers must therefore be idempotent (see inbox.ts).
 */
export interface EventBus {
  readonly kind: 'memory' | 'redis';
  /** Resolves once the bus has durably taken the events (Redis) or every local group handled them (memory). */
  publish(events: DomainEvent[]): Promise<void>;
  subscribe(subscription: Subscription): void;
  /** Starts delivering to the subscriptions registered so far. */
  start(): Promise<void>;
  /** Stops taking new deliveries and waits for handlers in flight. */
  stop(): Promise<void>;
  /** Events delivered to this process's groups and not acknowledged yet, per group (metrics). */
  pending(): Promise<{ group: string; pending: number }[]>;
}

/** The producing module of an event type: its first segment. */
export function moduleOfType(type: string): string {
  const dot = type.indexOf('.');
  return dot === -1 ? type : type.slice(0, dot);
}

export function topicMatches(topics: readonly string[], type: string): boolean {
  return topics.some((t) => t === type || (t.endsWith('.*') && type.startsWith(t.slice(0, -1))));
}
