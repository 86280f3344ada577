import type { Logger } from '../logger.js';
import { checkSubscription, errorMessage, eventLogFields, pause, runHandler } from './bus.shared.js';
import { topicMatches, type DomainEvent, type EventBus, type EventHandler, type Subscription } from './types.js';

export interface MemoryBusOptions {
  logger: Logger;
  /** Attempts per event and group, the first included. */
  maxAttempts?: number;
  /** Delay before the second attempt; doubles for each further one. */
  retryDelayMs?: number;
}

export interface MemoryDeadLetter {
  group: string;
  event: DomainEvent;
  error: string;
  attempts: number;
  failedAt: string;
}

export interface MemoryEventBus extends EventBus {
  readonly kind: 'memory';
  /** Deliveries that failed maxAttempts times in one publish (which then rejected), oldest first. */
  deadLetters(): readonly MemoryDeadLetter[];
}

interface Group {
  topics: readonly string[];
  /** Replicas (several subscriptions of the group) take events in turn. */
  handlers: EventHandler[];
  turn: number;
  /** Serialises the group's deliveries so it sees events in publish order across publish calls. */
  tail: Promise<void>;
}

class DeliveryFailedError extends Error {
  constructor(group: string, event: DomainEvent, cause: unknown) {
    super(`group ${group} could not handle ${event.type} ${event.id}: ${errorMessage(cause)}`, { cause });
  }
}

class BusStoppedError extends Error {
  constructor() {
    super('memory bus stopped before every group handled the events; they stay unpublished and are sent again');
  }
}

/**
 * In-process bus for the all-in-one mode. `publish` resolves only when every matching group has
 * handled every event, and rejects when a group fails one maxAttempts times, so the relay marks
 * outbox rows published only after local delivery: a crash or a failing handler leaves them
 * unpublished and the relay sends them again.
 * Events travel as JSON copies, as on Redis, so a handler cannot see another group's mutations or
 * values that would not survive serialisation (Dates, undefined).
 */
export function createMemoryBus(options: MemoryBusOptions): MemoryEventBus {
  const { logger } = options;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const retryDelayMs = options.retryDelayMs ?? 100;
  const subscriptions: Subscription[] = [];
  const groups = new Map<string, Group>();
  const dead: MemoryDeadLetter[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  let state: 'idle' | 'running' | 'stopped' = 'idle';

  async function deliver(name: string, group: Group, event: DomainEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (stopping.signal.aborted) throw new BusStoppedError();
      const handler = group.handlers[group.turn++ % group.handlers.length]!;
      try {
        await runHandler(handler, JSON.parse(JSON.stringify(event)) as DomainEvent);
        return;
      } catch (err) {
        const fields = { ...eventLogFields(name, event), attempt, err };
        if (attempt >= maxAttempts) {
          dead.push({ group: name, event, error: errorMessage(err), attempts: attempt, failedAt: new Date().toISOString() });
          logger.error(fields, 'event handler failed on its last attempt; the event stays in the outbox and is sent again');
          // Rejecting publish keeps the outbox row unpublished: nothing is lost in a process with no
          // durable dead-letter store. The relay backs off and retries; the inbox drops the copies
          // that other groups already applied.
          throw new DeliveryFailedError(name, event, err);
        }
        logger.warn(fields, 'event handler failed; retrying');
        await pause(retryDelayMs * 2 ** (attempt - 1), stopping.signal);
      }
    }
  }

  function enqueue(name: string, group: Group, events: DomainEvent[]): Promise<void> {
    const run = group.tail.then(async () => {
      for (const event of events) await deliver(name, group, event);
    });
    // A failed run (the bus stopped) must not poison the deliveries queued behind it.
    group.tail = run.catch(() => undefined);
    return run;
  }

  return {
    kind: 'memory',

    async publish(events) {
      // Rejecting keeps the events unpublished in the outbox, where the relay retries them.
      if (state !== 'running') throw new Error(`memory bus is ${state === 'idle' ? 'not started' : 'stopped'}`);
      const runs: Promise<void>[] = [];
      for (const [name, group] of groups) {
        const matching = events.filter((e) => topicMatches(group.topics, e.type));
        if (matching.length > 0) runs.push(enqueue(name, group, matching));
      }
      const all = Promise.all(runs);
      inFlight.add(all);
      try {
        await all;
      } finally {
        inFlight.delete(all);
      }
    },

    subscribe(sub) {
      if (state !== 'idle') throw new Error('subscribe() must be called before start()');
      checkSubscription(sub, subscriptions);
      subscriptions.push(sub);
      const group = groups.get(sub.group);
      if (group) group.handlers.push(sub.handler);
      else groups.set(sub.group, { topics: [...sub.topics], handlers: [sub.handler], turn: 0, tail: Promise.resolve() });
    },

    async start() {
      if (state === 'idle') state = 'running';
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      // Handlers already running finish; pending retries and queued events are abandoned, which
      // rejects their publish so the relay keeps them for the next run.
      stopping.abort();
      await Promise.allSettled([...inFlight]);
    },

    deadLetters: () => [...dead],
  };
}
