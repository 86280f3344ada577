import type { RedisClient as Redis } from '../redis.js';

/**
 * Writes the value and records it in each tag set in one step, so a value never exists without its
 * tags. A tag set's expiry is only ever raised, which keeps it at least as long as its longest-lived
 * member; members that expired or were overwritten stay until then and at worst cause an extra delete.
 * With a fence (the key's delete counter as it was before the value was loaded), the write happens
 * only if no delete came since: a load that a delete overtook, in any process, is never written back.
 * KEYS: value key, fence key, tag set keys…  ARGV: json, ttl ms, member (the logical key), fence or ''
 */
const SET_TAGGED = `
if ARGV[4] ~= '' and (redis.call('GET', KEYS[2]) or '0') ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1`;

/**
 * Deletes values and counts a delete on each one's fence, in one step (see SET_TAGGED). A fence lives
 * long enough to outlast any load (they are bounded by the database's statement timeout).
 * KEYS: value keys…, then their fence keys…  ARGV: fence ttl ms
 */
const DROP = `
local n = #KEYS / 2
for i = 1, n do
  redis.call('UNLINK', KEYS[i])
  redis.call('INCR', KEYS[n + i])
  redis.call('PEXPIRE', KEYS[n + i], ARGV[1])
end
return n`;

/**
 * Moves a tag set aside before its members are deleted: entries tagged while the deletion runs land
 * in a fresh set instead of being dropped from the index unseen. The moved set expires in case the
 * deleting process dies halfway.
 * KEYS: tag set, draining key  ARGV: draining ttl ms
 */
const DRAIN_TAG = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

export interface CacheScripts {
  /** 1 when written, 0 when a delete since `fence` refused it. */
  setTagged(o: { valueKey: string; fenceKey: string; tagKeys: string[]; json: string; ttlMs: number; member: string; fence?: string }): Promise<number>;
  drop(valueKeys: string[], fenceKeys: string[], fenceTtlMs: number): Promise<unknown>;
  drainTag(tagKey: string, drainingKey: string, drainingTtlMs: number): Promise<boolean>;
}

type Scripted = Record<string, (...args: Array<string | number>) => Promise<unknown>>;

/** defineCommand sends EVALSHA and falls back to EVAL once per connection when the script is not loaded. */
export function cacheScripts(redis: Redis): CacheScripts {
  redis.defineCommand('eventlyCacheSetTagged', { lua: SET_TAGGED });
  redis.defineCommand('eventlyCacheDrainTag', { lua: DRAIN_TAG, numberOfKeys: 2 });
  redis.defineCommand('eventlyCacheDrop', { lua: DROP });
  const commands = redis as unknown as Scripted;
  return {
    setTagged: async (o) =>
      Number(await commands.eventlyCacheSetTagged!(2 + o.tagKeys.length, o.valueKey, o.fenceKey, ...o.tagKeys, o.json, o.ttlMs, o.member, o.fence ?? '')),
    drop: (valueKeys, fenceKeys, fenceTtlMs) => commands.eventlyCacheDrop!(valueKeys.length * 2, ...valueKeys, ...fenceKeys, fenceTtlMs),
    drainTag: async (tagKey, drainingKey, drainingTtlMs) =>
      (await commands.eventlyCacheDrainTag!(tagKey, drainingKey, drainingTtlMs)) === 1,
  };
}
