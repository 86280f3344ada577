import { runWithContext } from '../context.js';
import { moduleOfType, type DomainEvent, type EventHandler, type Subscription } from './types.js';

/**
 * A topic is an exact type (`auth.user.registered`) or a prefix wildcard (`auth.*`, `auth.user.*`).
 * A bare `*` or a wildcard inside a segment is rejected: the Redis bus reads one stream per producing
 * module, so a topic without a concrete first segment would silently receive nothing.
 */
function validTopic(topic: string): boolean {
  const segments = topic.split('.');
  if (segments.length < 2) return false;
  return segments.every((s, i) => s.length > 0 && (!s.includes('*') || (s === '*' && i === segments.length - 1 && i > 0)));
}

function sameTopics(a: readonly string[], b: readonly string[]): boolean {
  const sa = [...new Set(a)].sort();
  const sb = [...new Set(b)].sort();
  return sa.length === sb.length && sa.every((t, i) => t === sb[i]);
}

/**
 * Subscribing one group twice in a process makes the two subscriptions replicas that share the work.
 * Their topics must match: each replica acknowledges the events its topics do not want, so a
 * replica with narrower topics would swallow events meant for the other (two modules accidentally
 * sharing a group name fail here instead of silently losing events).
 */
export function checkSubscription(sub: Subscription, existing: readonly Subscription[]): void {
  if (!sub.group || /\s/.test(sub.group)) throw new Error(`invalid consumer group name "${sub.group}"`);
  if (sub.topics.length === 0) throw new Error(`group "${sub.group}" subscribes to no topics`);
  for (const topic of sub.topics) {
    if (!validTopic(topic)) throw new Error(`group "${sub.group}": invalid topic "${topic}" (use "module.entity.verb" or "module.*")`);
  }
  const other = existing.find((s) => s.group === sub.group);
  if (other && !sameTopics(other.topics, sub.topics)) {
    throw new Error(`group "${sub.group}" is already subscribed with other topics; replicas of a group must share their topics`);
  }
}

/** The producing modules (one stream each on Redis) a set of topics needs. */
export function modulesOfTopics(topics: readonly string[]): string[] {
  return [...new Set(topics.map(moduleOfType))];
}

/** Runs the handler inside the event's request context so its logs carry the correlation id. */
export function runHandler(handler: EventHandler, event: DomainEvent): Promise<void> {
  return runWithContext({ requestId: event.correlationId ?? event.id }, async () => handler(event));
}

export function eventLogFields(group: string, event: DomainEvent): Record<string, unknown> {
  return { group, eventId: event.id, eventType: event.type, correlationId: event.correlationId };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: callers re-check the signal). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
