import { randomUUID } from 'node:crypto';
import { hashTagged, scanKeys, withoutAutoResubscribe, type RedisClient as Redis } from '../redis.js';
import { pino } from 'pino';
import { TtlLru } from './lru.js';
import { cacheScripts } from './redis-cache.scripts.js';
import { type CacheLogger, encode, escapeGlob, shareable, uniqueTags, validTtl } from './shared.js';
import { SingleFlight, type Lookup } from './single-flight.js';
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
/** A delete's fence outlives any load in flight (loads are bounded by the statement timeout). */
const FENCE_TTL_MS = 300_000;

/**
 * Values live at `${prefix}v:${key}` (JSON, PX expiry), tag sets at `${prefix}tag:${tag}` (logical
 * keys as members). The `v:` namespace keeps a key such as `tag:x` from colliding with a tag set.
 * `${prefix}fence:${key}` counts the deletes of a key (and of its tags' members): `wrap` reads it
 * with the value and writes a loaded value back only if it has not moved, so a load that a delete
 * overtook is never written back, whichever process deleted and whether or not its message arrived.
 *
 * Each instance keeps a small L1 and drops entries when any instance publishes an invalidation on
 * `${prefix}cache:invalidate`. Pub/sub is fire-and-forget: a message lost (e.g. while the subscriber
 * reconnects) leaves an L1 copy stale for at most the L1 TTL, which is why that TTL is kept short.
 * Resolves once the subscription is live, so no invalidation can be missed from the start.
 */
export async function createRedisCache(options: RedisCacheOptions): Promise<Cache> {
  const { redis } = options;
  // Values, tag sets and fences go together in scripts: one hash tag for all of them.
  const prefix = hashTagged(options.prefix, 'cache');
  const logger = options.logger ?? pino({ name: 'cache' });
  const l1Options = options.l1 === false ? undefined : (options.l1 ?? { maxEntries: 1000, ttlMs: 2000 });
  // Decoded and frozen values: a hit in this layer costs no parsing.
  const l1 = l1Options && new TtlLru<unknown>(l1Options.maxEntries);
  const scripts = cacheScripts(redis);
  const instanceId = randomUUID();
  const channel = `${prefix}cache:invalidate`;
  const valueKey = (key: string) => `${prefix}v:${key}`;
  const tagKey = (tag: string) => `${prefix}tag:${tag}`;
  const fenceKey = (key: string) => `${prefix}fence:${key}`;

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

  /** The value (L1 first), and the fence a load of it must be written back with (none: Redis failed). */
  const lookup = async (key: string): Promise<Lookup> => {
    const local = l1?.get(key);
    if (local !== undefined) return { value: local };
    const seen = generation;
    let json: string | null;
    let pttl: number;
    let fence: string | null;
    try {
      const results = await redis.pipeline().get(valueKey(key)).pttl(valueKey(key)).get(fenceKey(key)).exec();
      const [[getErr, value], [ttlErr, ttl], [fenceErr, counted]] = results as [[Error | null, string | null], [Error | null, number], [Error | null, string | null]];
      if (getErr ?? ttlErr ?? fenceErr) throw getErr ?? ttlErr ?? fenceErr;
      json = value;
      pttl = ttl;
      fence = counted ?? '0';
    } catch (err) {
      logger.warn({ err, key }, 'cache get failed; treating as a miss');
      return { value: undefined };
    }
    if (json === null) return { value: undefined, fence };
    const value = shareable(json);
    if (l1 && l1Options && subscribed && seen === generation && pttl !== -2) {
      l1.set(key, value, pttl > 0 ? Math.min(pttl, l1Options.ttlMs) : l1Options.ttlMs);
    }
    return { value, fence };
  };

  const get = async <T>(key: string): Promise<T | undefined> => (await lookup(key)).value as T | undefined;

  /** Writes the value (with its tags; if `fence` is given, only if no delete came since it was read). */
  const write = async (key: string, value: unknown, setOptions: Parameters<Cache['set']>[2], fence?: string): Promise<boolean> => {
    const ttlMs = validTtl(setOptions);
    const json = encode(value);
    generation++;
    l1?.delete(key);
    const written = await scripts.setTagged({ valueKey: valueKey(key), fenceKey: fenceKey(key), tagKeys: uniqueTags(setOptions).map(tagKey), json, ttlMs, member: key, fence });
    if (written && l1 && l1Options && subscribed) l1.set(key, shareable(json), Math.min(ttlMs, l1Options.ttlMs));
    return written === 1;
  };

  /** A write others must see: their L1 copies go. Throws when Redis fails (the caller decides). */
  const set: Cache['set'] = async (key, value, setOptions) => {
    await write(key, value, setOptions);
    await publish({ keys: [key] });
  };

  // A load written back needs no message: the key was missing, so no process holds a copy of it.
  const flights = new SingleFlight(lookup, async (key, value, setOptions, fence) => {
    try {
      await write(key, value, setOptions, fence);
    } catch (err) {
      logger.warn({ err, key }, 'cache write-back failed; value not cached');
    }
  });

  /** Deletes the values and moves their fences; this process's loads of them are stale first. */
  const drop = async (keys: string[]): Promise<void> => {
    forget({ keys });
    await scripts.drop(keys.map(valueKey), keys.map(fenceKey), FENCE_TTL_MS);
  };

  const deleteTag = async (tag: string): Promise<void> => {
    const draining = `${prefix}tag-draining:${randomUUID()}`;
    if (!(await scripts.drainTag(tagKey(tag), draining, DRAINING_TTL_MS))) return;
    let cursor = '0';
    do {
      const [next, members] = await redis.sscan(draining, cursor, 'COUNT', BATCH);
      cursor = next;
      if (members.length) {
        await drop(members);
        await invalidate({ keys: members, tags: [tag] });
      }
    } while (cursor !== '0');
    await redis.unlink(draining);
  };

  const subscriber = options.connect();
  // ioredis's own resubscribe after a reconnect leaves its promise unhandled: if the connection
  // drops again (or is closed) before the reply, the process gets an unhandled rejection. The
  // 'ready' handler below resubscribes instead, with its failure handled.
  withoutAutoResubscribe(subscriber);
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
  // Loads in flight may have missed a delete's message too: none of them is written back (another
  // process's delete is also caught by the fence; this covers prefix deletes, which have none).
  subscriber.on('close', () => {
    subscribed = false;
    generation++;
    l1?.clear();
    flights.invalidate(() => true);
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
        await drop(keys);
      } finally {
        // Again after the delete: a read between the first forget and the delete may have filled L1.
        await invalidate({ keys });
      }
    },
    async deleteByTag(...tags) {
      forget({ tags });
      try {
        for (const tag of new Set(tags)) await deleteTag(tag);
      } finally {
        // Covers loads in flight that carry the tags; the deleted keys were announced batch by batch.
        await invalidate({ tags });
      }
    },
    async deleteByPrefix(keyPrefix) {
      forget({ prefix: keyPrefix });
      const match = `${escapeGlob(valueKey(keyPrefix))}*`;
      try {
        await scanKeys(redis, match, async (found, node) => void (await node.unlink(...found)));
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
