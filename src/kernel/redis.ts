import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * One Redis or a Redis Cluster, behind the commands Evently uses. In a cluster every command runs
 * on the node that owns its key's slot, so the keys one script, transaction, pipeline or stream read
 * touches together share a hash tag (the part of the key inside `{…}`): `{bus}` for the event
 * streams, `{jobs}` for BullMQ, `{cache}` for the cache with its tag sets and fences, `{revoked}`
 * for the revocation list and its marker. Rate-limit buckets are one key each and spread freely.
 */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  url: string;
  /** Set: `url` is one node of a Redis Cluster with these others. */
  clusterNodes?: { host: string; port: number }[];
}

/**
 * Opens a client. `options` are per connection (timeouts, retries); in a cluster, the offline queue
 * and lazy connect are the cluster's own, and every node connection gets the rest.
 */
export function openRedis(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  if (!target.clusterNodes) return new Redis(target.url, options);
  const u = new URL(target.url);
  const seed = { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
  const { enableOfflineQueue, lazyConnect, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    redisOptions: {
      ...redisOptions,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    // A node answering MOVED/ASK during a resharding is followed; a failover is waited out.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 500,
  };
  return new Cluster([seed, ...target.clusterNodes], clusterOptions);
}

/** Every key matching `pattern` (SCAN on every master of a cluster: a SCAN sees one node's keys). */
export async function scanKeys(client: RedisClient, pattern: string, each: (keys: string[], node: Redis) => Promise<void>): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await each(keys, node);
    } while (cursor !== '0');
  }
}

/**
 * Turns off ioredis's own resubscribe after a reconnect, whose failure goes unhandled: the caller
 * subscribes again on 'ready'. A cluster keeps its own (its subscriber moves between nodes); a
 * second SUBSCRIBE to a channel is harmless.
 */
export function withoutAutoResubscribe<C extends RedisClient>(client: C): C {
  if (client instanceof Redis) client.options.autoResubscribe = false;
  return client;
}

/**
 * `prefix` + a hash tag of `name`: the keys of one component share a slot of a cluster. A prefix
 * that already has a tag (REDIS_KEY_PREFIX=`{evently}:` puts every key in one slot) keeps it, and
 * `name` only names the namespace.
 */
export function hashTagged(prefix: string, name: string): string {
  return /\{[^}]+\}/.test(prefix) ? `${prefix}${name}:` : `${prefix}{${name}}:`;
}
