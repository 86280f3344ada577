import { hashTagged, type RedisClient as Redis } from '../redis.js';
import type { Logger } from '../logger.js';
import { startGroupWorker, type GroupWorker } from './bus.redis.worker.js';
import { DEFAULT_RETRY, startRetryLoop, type RetryLoop, type RetryPolicy } from './bus.retries.js';
import { checkSubscription, modulesOfTopics } from './bus.shared.js';
import type { FailedEvents } from './failed-events.js';
import { moduleOfType, type EventBus, type Subscription } from './types.js';

export interface RedisBusOptions {
  /** Publishing connection, owned by the caller: the bus never closes it. */
  redis: Redis;
  /** Opens a connection for one subscription's blocking reads; the bus closes the ones it opened. */
  connect: () => Redis;
  /** Key prefix, e.g. `evently:`. */
  prefix: string;
  /**
   * This replica's consumer name within each group. Keep it stable across restarts (e.g. the host
   * name): a restarted consumer re-reads its own unacknowledged entries at once, while a new name
   * waits for the claim sweep (claimIdleMs) to take over a dead consumer's entries.
   */
  consumerName: string;
  logger: Logger;
  /** Where entries go once their deliveries are spent, and where replayed dead letters come from. */
  failed: FailedEvents;
  /** Entries pending longer than this are claimed by another consumer (or retried by this one). */
  claimIdleMs?: number;
  /** Deliveries before an entry is dead-lettered (maxAttempts of the retry policy; default 10). */
  maxDeliveries?: number;
  /** Retries of replayed dead letters (its maxAttempts defaults to maxDeliveries). */
  retry?: Partial<RetryPolicy>;
  /** How often replayed dead letters are looked for (default 1 s). */
  retryPollMs?: number;
  blockMs?: number;
  batchSize?: number;
  /** Approximate length each stream is trimmed to; a group that falls further behind loses entries. */
  maxLen?: number;
}

export function busStreamKey(prefix: string, module: string): string {
  // One hash tag for every stream: a consumer reads its producers' streams in one XREADGROUP.
  return `${hashTagged(prefix, 'bus')}${module}`;
}

/**
 * Event bus on Redis Streams: one stream per producing module, one consumer group per consuming
 * module (replicas share the group's entries), at-least-once delivery: an entry is acknowledged only
 * after its handler resolved, and an unacknowledged one is redelivered to the group while the group
 * reads on. After maxDeliveries it goes to the failed-events store (PostgreSQL) as a dead letter,
 * from where a replay hands it back to the group's handler.
 */
export function createRedisBus(options: RedisBusOptions): EventBus {
  const { redis, prefix, consumerName, logger } = options;
  const settings = {
    claimIdleMs: options.claimIdleMs ?? 30_000,
    maxDeliveries: Math.max(1, options.maxDeliveries ?? DEFAULT_RETRY.maxAttempts),
    blockMs: options.blockMs ?? 2_000,
    batchSize: Math.max(1, options.batchSize ?? 50),
    maxLen: options.maxLen ?? 1_000_000,
  };
  const subscriptions: Subscription[] = [];
  const workers: GroupWorker[] = [];
  let retries: RetryLoop | undefined;
  let state: 'idle' | 'running' | 'stopped' = 'idle';

  function openConnection(group: string): Redis {
    const conn = options.connect();
    // Without a listener ioredis prints every reconnect error; the read loop already logs failures.
    conn.on('error', (err: unknown) => logger.debug({ group, err }, 'event bus connection error'));
    return conn;
  }

  async function startWorker(sub: Subscription, replica: number): Promise<void> {
    const conn = openConnection(sub.group);
    try {
      const worker = await startGroupWorker({
        ...settings,
        conn,
        group: sub.group,
        // Extra subscriptions of one group in one process are replicas and need their own names.
        consumer: replica === 0 ? consumerName : `${consumerName}#${replica + 1}`,
        streams: modulesOfTopics(sub.topics).map((m) => busStreamKey(prefix, m)),
        topics: sub.topics,
        handler: sub.handler,
        failed: options.failed,
        logger,
      });
      // stop() may have run while the groups were being created.
      if (state === 'stopped') await worker.stop();
      else workers.push(worker);
    } catch (err) {
      conn.disconnect();
      throw err;
    }
  }

  return {
    kind: 'redis',

    async publish(events) {
      if (events.length === 0) return;
      // One round trip; a partial failure rejects the whole batch and the relay resends it, which
      // duplicates the entries that did land (consumers deduplicate on the event id). `type` repeats
      // the event's type so a stream can be inspected (XRANGE) without decoding every entry.
      const pipeline = redis.pipeline();
      for (const event of events) {
        pipeline.xadd(busStreamKey(prefix, moduleOfType(event.type)), 'MAXLEN', '~', settings.maxLen, '*',
          'type', event.type, 'event', JSON.stringify(event));
      }
      const results = await pipeline.exec();
      if (!results) throw new Error('event bus publish: pipeline returned no results');
      for (const [err] of results) if (err) throw err;
    },

    subscribe(sub) {
      if (state !== 'idle') throw new Error('subscribe() must be called before start()');
      checkSubscription(sub, subscriptions);
      subscriptions.push(sub);
    },

    async start() {
      if (state !== 'idle') return;
      state = 'running';
      const replicas = new Map<string, number>();
      const starts = subscriptions.map((sub) => {
        const replica = replicas.get(sub.group) ?? 0;
        replicas.set(sub.group, replica + 1);
        return startWorker(sub, replica);
      });
      const failed = (await Promise.allSettled(starts)).find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      if (state !== 'running') return; // stopped while the groups were being created
      const handlers = new Map(subscriptions.map((s) => [s.group, s.handler]));
      const policy = { ...DEFAULT_RETRY, maxAttempts: settings.maxDeliveries, ...options.retry };
      if (handlers.size) retries = startRetryLoop({ failed: options.failed, handlers, policy, pollMs: options.retryPollMs ?? 1_000, logger });
    },

    async pending() {
      // XPENDING's summary per stream and group: entries read by some consumer of the group and not acknowledged.
      const groups = [...new Map(subscriptions.map((s) => [s.group, s.topics])).entries()];
      return Promise.all(
        groups.map(async ([group, topics]) => {
          let pending = 0;
          for (const key of modulesOfTopics(topics).map((m) => busStreamKey(prefix, m))) {
            try {
              pending += Number(((await redis.xpending(key, group)) as [number])[0] ?? 0);
            } catch (err) {
              if (!String(err).includes('NOGROUP')) throw err; // not created yet: nothing pending
            }
          }
          return { group, pending };
        }),
      );
    },

    async stop() {
      if (state === 'stopped') return;
      state = 'stopped';
      await Promise.all([...workers.splice(0).map((w) => w.stop()), retries?.stop()]);
    },
  };
}
