import type { Logger } from '../logger.js';
import { startRetryLoop, retryDelay, DEFAULT_RETRY, type RetryLoop, type RetryPolicy } from './bus.retries.js';
import { checkSubscription, errorMessage, eventLogFields, runHandler } from './bus.shared.js';
import type { FailedEvents } from './failed-events.js';
import { topicMatches, type DomainEvent, type EventBus, type EventHandler, type Subscription } from './types.js';

export interface MemoryBusOptions {
  logger: Logger;
  /** Where deliveries that failed wait for their retries, and stay once their attempts are spent. */
  failed: FailedEvents;
  retry?: Partial<RetryPolicy>;
  /** How often due retries are looked for (default 1 s). */
  retryPollMs?: number;
}

export interface MemoryEventBus extends EventBus {
  readonly kind: 'memory';
}

interface Group {
  topics: readonly string[];
  /** Replicas (several subscriptions of the group) take events in turn. */
  handlers: EventHandler[];
  turn: number;
  /** Serialises the group's deliveries so it sees events in publish order across publish calls. */
  tail: Promise<void>;
  /** Events handed to the group and not handled (or set aside) yet. */
  queued: number;
}

class BusStoppedError extends Error {
  constructor() {
    super('memory bus stopped before every group handled the events; they stay unpublished and are sent again');
  }
}

/**
 * In-process bus for the all-in-one mode. `publish` resolves once every matching group has handled
 * every event or set it aside: a delivery that fails is written to the failed-events store and
 * retried from there in the background (then kept as a dead letter), like the Redis bus leaves it
 * pending, so one group's failing event never holds up that group's later events or another group.
 * The relay marks outbox rows published only after this, so a crash or a store that cannot take a
 * failure leaves them unpublished and the relay sends them again (consumers deduplicate).
 * Events travel as JSON copies, as on Redis, so a handler cannot see another group's mutations or
 * values that would not survive serialisation (Dates, undefined).
 */
export function createMemoryBus(options: MemoryBusOptions): MemoryEventBus {
  const { logger, failed } = options;
  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const subscriptions: Subscription[] = [];
  const groups = new Map<string, Group>();
  const inFlight = new Set<Promise<unknown>>();
  let retries: RetryLoop | undefined;
  let state: 'idle' | 'running' | 'stopped' = 'idle';

  async function deliver(name: string, group: Group, event: DomainEvent): Promise<void> {
    if (state !== 'running') throw new BusStoppedError();
    const handler = group.handlers[group.turn++ % group.handlers.length]!;
    try {
      await runHandler(handler, JSON.parse(JSON.stringify(event)) as DomainEvent);
    } catch (err) {
      const fields = { ...eventLogFields(name, event), attempt: 1, err };
      // If the store cannot take it, this throws: publish rejects and the event stays in the outbox.
      if (policy.maxAttempts <= 1) {
        await failed.bury(name, { key: event.id, event }, errorMessage(err), 1);
        logger.error(fields, 'event dead-lettered (evently events dead / replay)');
      } else {
        const status = await failed.retryLater(name, event, errorMessage(err), retryDelay(policy, 1));
        if (status === 'dead') logger.error(fields, 'event handler failed on a dead letter redelivered: it stays dead (evently events replay)');
        else logger.warn(fields, 'event handler failed; set aside to retry later');
      }
    }
  }

  function enqueue(name: string, group: Group, events: DomainEvent[]): Promise<void> {
    group.queued += events.length;
    const run = group.tail.then(async () => {
      for (const event of events) {
        try {
          await deliver(name, group, event);
        } finally {
          group.queued--;
        }
      }
    });
    // A failed run (the bus stopped, the store down) must not poison the deliveries queued behind it.
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
      // Settled, not Promise.all: one group's failure must not let stop() return while another
      // group's handler still runs.
      const all = Promise.allSettled(runs);
      inFlight.add(all);
      try {
        const rejected = (await all).find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (rejected) throw rejected.reason;
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
      else groups.set(sub.group, { topics: [...sub.topics], handlers: [sub.handler], turn: 0, tail: Promise.resolve(), queued: 0 });
    },

    async start() {
      if (state !== 'idle') return;
      state = 'running';
      const handlers = new Map([...groups].map(([name, g]) => [name, g.handlers[0]!]));
      if (handlers.size) retries = startRetryLoop({ failed, handlers, policy, pollMs: options.retryPollMs ?? 1_000, logger });
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      // Handlers already running finish; queued events are abandoned, which rejects their publish
      // so the relay keeps them for the next run. Retries wait in the store.
      await Promise.allSettled([...inFlight]);
      await retries?.stop();
    },

    pending: async () => [...groups].map(([group, g]) => ({ group, pending: g.queued })),
  };
}
