import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { TtlLru } from './lru.js';
import { cacheScripts } from './redis-cache.scripts.js';
import { type CacheLogger, encode, escapeGlob, uniqueTags, validTtl } from './shared.js';
import { SingleFlight } from './single-flight.js';
import type { Cache } from './types.js';

export interface RedisCacheOptions {
  /** Shared command connection; the cache never closes it. */
  redis: Redis;
  /** Opens the cache's own subscriber connection (a subscribed connection cannot run other commands). */
  connect: () => Redis;
  /** Prepended to every key and to the invalidation channel, e.g. `evently:`. */
  prefix: string;
  /** The per-process L1 in front of Redis; `false` turns it off. Default 1,000 entries for 2 s. */
  l1?: { maxEntries: number; ttlMs: number } | false;
  logger?: CacheLogger;
}

/** What one instance tells the others to forget. */
interface Invalidation {
  from: string;
  keys?: string[];
  tags?: string[];
  prefix?: string;
}

const BATCH = 1000;
const DRAINING_TTL_MS = 60_000;

/**
 * Values live at `${prefix}v:${key}` (JSON, PX expiry), tag sets at `${prefix}tag:${tag}` (logical
 * keys as members). The `v:` namespace keeps a key such as `tag:x` from colliding with a tag set.
 *
 * Each instance keeps a small L1 and drops entries when any instance publishes an invalidation on
 * `${prefix}cache:invalidate`. Pub/sub is fire-and-forget: a message lost (e.g. while the subscriber
 * reconnects) leaves an L1 copy stale for at most the L1 TTL, which is why that TTL is kept short.
 * Resolves once the subscription is live, so no invalidation can be missed from the start.
 */
export async function createRedisCache(options: RedisCacheOptions): Promise<Cache> {
  const { redis, prefix } = options;
  const logger = options.logger ?? pino({ name: 'cache' });
  const l1Options = options.l1 === false ? undefined : (options.l1 ?? { maxEntries: 1000, ttlMs: 2000 });
  const l1 = l1Options && new TtlLru<string>(l1Options.maxEntries);
  const scripts = cacheScripts(redis);
  const instanceId = randomUUID();
  const channel = `${prefix}cache:invalidate`;
  const valueKey = (key: string) => `${prefix}v:${key}`;
  const tagKey = (tag: string) => `${prefix}tag:${tag}`;

  // L1 is filled only while subscribed, and a read that raced an invalidation (generation moved on
  // while it was in flight) does not fill it: its answer may be from before the change.
  let subscribed = false;
  let closed = false;
  let generation = 0;

  const forget = (inv: Omit<Invalidation, 'from'>): void => {
    generation++;
    for (const key of inv.keys ?? []) l1?.delete(key);
    if (inv.prefix !== undefined) l1?.deleteByPrefix(inv.prefix);
    flights.invalidate(
      (key, tags) =>
        (inv.keys?.includes(key) ?? false) ||
        (inv.prefix !== undefined && key.startsWith(inv.prefix)) ||
        tags.some((t) => inv.tags?.includes(t)),
    );
  };

  const publish = async (inv: Omit<Invalidation, 'from'>): Promise<void> => {
    try {
      await redis.publish(channel, JSON.stringify({ ...inv, from: instanceId } satisfies Invalidation));
    } catch (err) {
      logger.warn({ err, channel }, 'cache invalidation publish failed; other instances rely on their L1 TTL');
    }
  };

  /** Local forget first (this process must never serve the old value), then tell the others. */
  const invalidate = async (inv: Omit<Invalidation, 'from'>): Promise<void> => {
    forget(inv);
    await publish(inv);
  };

  const get = async <T>(key: string): Promise<T | undefined> => {
    const local = l1?.get(key);
    if (local !== undefined) return JSON.parse(local) as T;
    const seen = generation;
    let json: string | null;
    let pttl: number;
    try {
      const results = await redis.pipeline().get(valueKey(key)).pttl(valueKey(key)).exec();
      const [[getErr, value], [ttlErr, ttl]] = results as [[Error | null, string | null], [Error | null, number]];
      if (getErr ?? ttlErr) throw getErr ?? ttlErr;
      json = value;
      pttl = ttl;
    } catch (err) {
      logger.warn({ err, key }, 'cache get failed; treating as a miss');
      return undefined;
    }
    if (json === null) return undefined;
    if (l1 && l1Options && subscribed && seen === generation && pttl !== -2) {
      l1.set(key, json, pttl > 0 ? Math.min(pttl, l1Options.ttlMs) : l1Options.ttlMs);
    }
    return JSON.parse(json) as T;
  };

  const set: Cache['set'] = async (key, value, setOptions) => {
    const ttlMs = validTtl(setOptions);
    const tags = uniqueTags(setOptions);
    const json = encode(value);
    generation++;
    l1?.delete(key);
    try {
      if (tags.length) await scripts.setTagged(valueKey(key), tags.map(tagKey), json, ttlMs, key);
      else await redis.set(valueKey(key), json, 'PX', ttlMs);
    } catch (err) {
      logger.warn({ err, key }, 'cache set failed; value not cached');
      return;
    }
    if (l1 && l1Options && subscribed) l1.set(key, json, Math.min(ttlMs, l1Options.ttlMs));
    await publish({ keys: [key] });
  };

  const flights = new SingleFlight(get, set);

  const deleteTag = async (tag: string): Promise<void> => {
    const draining = `${prefix}tag-draining:${randomUUID()}`;
    if (!(await scripts.drainTag(tagKey(tag), draining, DRAINING_TTL_MS))) return;
    let cursor = '0';
    do {
      const [next, members] = await redis.sscan(draining, cursor, 'COUNT', BATCH);
      cursor = next;
      if (members.length) {
        await redis.unlink(...members.map(valueKey));
        await invalidate({ keys: members, tags: [tag] });
      }
    } while (cursor !== '0');
    await redis.unlink(draining);
  };

  const subscriber = options.connect();
  // ioredis's own resubscribe after a reconnect leaves its promise unhandled: if the connection
  // drops again (or is closed) before the reply, the process gets an unhandled rejection. The
  // 'ready' handler below resubscribes instead, with its failure handled.
  subscriber.options.autoResubscribe = false;
  subscriber.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    let inv: Invalidation;
    try {
      inv = JSON.parse(raw) as Invalidation;
    } catch {
      return;
    }
    if (inv.from !== instanceId) forget(inv);
  });
  subscriber.on('error', (err: Error) => logger.warn({ err }, 'cache invalidation subscriber error'));
  try {
    await subscriber.subscribe(channel);
  } catch (err) {
    subscriber.disconnect();
    throw err;
  }
  subscribed = true;
  // While disconnected, messages are lost: empty L1 and stop filling it until subscribed again.
  subscriber.on('close', () => {
    subscribed = false;
    generation++;
    l1?.clear();
  });
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(
      () => {
        subscribed = !closed;
      },
      (err: unknown) => logger.warn({ err }, 'cache invalidation resubscribe failed; L1 stays off'),
    );
  });

  return {
    kind: 'redis',
    get,
    set,
    async delete(...keys) {
      if (!keys.length) return;
      try {
        await redis.unlink(...keys.map(valueKey));
      } finally {
        await invalidate({ keys });
      }
    },
    async deleteByTag(...tags) {
      try {
        for (const tag of new Set(tags)) await deleteTag(tag);
      } finally {
        // Covers loads in flight that carry the tags; the deleted keys were announced batch by batch.
        await invalidate({ tags });
      }
    },
    async deleteByPrefix(keyPrefix) {
      const match = `${escapeGlob(valueKey(keyPrefix))}*`;
      try {
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', match, 'COUNT', BATCH);
          cursor = next;
          if (found.length) await redis.unlink(...found);
        } while (cursor !== '0');
      } finally {
        await invalidate({ prefix: keyPrefix });
      }
    },
    wrap: (key, wrapOptions, load) => flights.wrap(key, wrapOptions, load),
    async close() {
      closed = true;
      subscribed = false;
      l1?.clear();
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
