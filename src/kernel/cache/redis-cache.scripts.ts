import type { Redis } from 'ioredis';

/**
 * Writes the value and records it in each tag set in one step, so a value never exists without its
 * tags. A tag set's expiry is only ever raised, which keeps it at least as long as its longest-lived
 * member; members that expired or were overwritten stay until then and at worst cause an extra delete.
 * KEYS: value key, tag set keys…  ARGV: json, ttl ms, member (the logical key)
 */
const SET_TAGGED = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1`;

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
  setTagged(valueKey: string, tagKeys: string[], json: string, ttlMs: number, member: string): Promise<unknown>;
  drainTag(tagKey: string, drainingKey: string, drainingTtlMs: number): Promise<boolean>;
}

type Scripted = Record<string, (...args: Array<string | number>) => Promise<unknown>>;

/** defineCommand sends EVALSHA and falls back to EVAL once per connection when the script is not loaded. */
export function cacheScripts(redis: Redis): CacheScripts {
  redis.defineCommand('eventlyCacheSetTagged', { lua: SET_TAGGED });
  redis.defineCommand('eventlyCacheDrainTag', { lua: DRAIN_TAG, numberOfKeys: 2 });
  const commands = redis as unknown as Scripted;
  return {
    setTagged: (valueKey, tagKeys, json, ttlMs, member) =>
      commands.eventlyCacheSetTagged!(1 + tagKeys.length, valueKey, ...tagKeys, json, ttlMs, member),
    drainTag: async (tagKey, drainingKey, drainingTtlMs) =>
      (await commands.eventlyCacheDrainTag!(tagKey, drainingKey, drainingTtlMs)) === 1,
  };
}
