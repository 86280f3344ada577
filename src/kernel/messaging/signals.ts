import { withoutAutoResubscribe, type RedisClient as Redis } from '../redis.js';
import type { Logger } from '../logger.js';

/** What a subscriber of a channel is told. */
export interface SignalListener {
  message(message: string): void;
  /** Messages may have been missed (the subscriber's connection dropped): re-read the truth. */
  resync(): void;
}

/**
 * Fire-and-forget fan-out to every process of the deployment, for hints whose truth is in the
 * database (what a live view should re-read), never for facts: those go through the outbox and the
 * bus, which deliver each event to one replica per group. Redis pub/sub, or in-process when
 * all-in-one without Redis. A message published while a subscriber reconnects is lost: its
 * listeners are told to resync instead.
 */
export interface Signals {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: string): Promise<void>;
  /** Returns the unsubscribe. */
  subscribe(channel: string, listener: SignalListener): () => void;
  close(): Promise<void>;
}

class Listeners {
  private readonly byChannel = new Map<string, Set<SignalListener>>();

  add(channel: string, l: SignalListener): { first: boolean; remove: () => boolean } {
    const set = this.byChannel.get(channel) ?? new Set();
    const first = set.size === 0;
    set.add(l);
    this.byChannel.set(channel, set);
    return {
      first,
      remove: () => {
        set.delete(l);
        if (set.size) return false;
        this.byChannel.delete(channel);
        return true;
      },
    };
  }

  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  each(channel: string | undefined, fn: (l: SignalListener) => void, logger?: Logger): void {
    const sets = channel === undefined ? [...this.byChannel.values()] : [this.byChannel.get(channel) ?? new Set<SignalListener>()];
    for (const set of sets) {
      for (const l of [...set]) {
        try {
          fn(l);
        } catch (err) {
          logger?.error({ err }, 'signal listener failed');
        }
      }
    }
  }
}

export function createMemorySignals(logger?: Logger): Signals {
  const listeners = new Listeners();
  return {
    kind: 'memory',
    async publish(channel, message) {
      queueMicrotask(() => listeners.each(channel, (l) => l.message(message), logger));
    },
    subscribe(channel, listener) {
      const { remove } = listeners.add(channel, listener);
      return () => void remove();
    },
    async close() {},
  };
}

/**
 * Publishes on the shared client (failing fast while Redis is down: the caller logs); listens on a
 * connection of its own, opened at the first subscription. After a reconnect it subscribes again
 * and tells every listener to resync.
 */
export function createRedisSignals(o: { redis: Redis; connect: () => Redis; prefix: string; logger: Logger }): Signals {
  const listeners = new Listeners();
  const key = (channel: string) => `${o.prefix}signal:${channel}`;
  let subscriber: Redis | undefined;
  let readyOnce = false;

  const open = (): Redis => {
    const s = o.connect();
    // ioredis's own resubscribe leaves its failure unhandled: 'ready' below does it instead.
    withoutAutoResubscribe(s);
    s.on('message', (ch: string, message: string) => {
      if (ch.startsWith(`${o.prefix}signal:`)) listeners.each(ch.slice(`${o.prefix}signal:`.length), (l) => l.message(message), o.logger);
    });
    s.on('ready', () => {
      const channels = listeners.channels();
      const again = readyOnce;
      readyOnce = true;
      if (channels.length) s.subscribe(...channels.map(key)).catch((err: unknown) => o.logger.warn({ err }, 'signal subscriber could not subscribe again'));
      if (again) listeners.each(undefined, (l) => l.resync(), o.logger);
    });
    return s;
  };

  return {
    kind: 'redis',
    async publish(channel, message) {
      await o.redis.publish(key(channel), message);
    },
    subscribe(channel, listener) {
      const { first, remove } = listeners.add(channel, listener);
      subscriber ??= open();
      if (first && subscriber.status === 'ready') subscriber.subscribe(key(channel)).catch((err: unknown) => o.logger.warn({ err, channel }, 'signal subscribe failed'));
      return () => {
        if (remove() && subscriber?.status === 'ready') subscriber.unsubscribe(key(channel)).catch(() => undefined);
      };
    },
    async close() {
      await subscriber?.quit().catch(() => subscriber?.disconnect());
    },
  };
}
