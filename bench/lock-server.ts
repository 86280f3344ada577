/**
 * Baseline L of PERFORMANCE.md: the original's booking design on Evently's own HTTP stack. Every hold
 * takes a per-event lock (Redis `SET NX PX`, retried for up to 10 s, as the original did; an
 * in-process lock without REDIS_URL) and keeps it across the read-check-write (the `single` strategy's
 * transaction). Everything else is `evently start`, configured from the environment.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { AppError, createLogger } from '../src/kernel/index.js';
import { buildEvently, loadEventlyConfig } from '../src/main.js';
import { createBookingsModule, singleWriter, type HoldWriter, type HoldWriterDeps } from '../src/modules/bookings/index.js';

const LOCK_MS = 10_000;
const WAIT_MS = 10_000;

function lockWriter(deps: HoldWriterDeps): HoldWriter {
  const inner = singleWriter(deps);
  const redis = process.env.REDIS_URL ? new Redis(process.env.REDIS_URL) : undefined;
  const held = new Set<string>();
  const take = async (key: string, token: string) => (redis ? (await redis.set(key, token, 'PX', LOCK_MS, 'NX')) === 'OK' : !held.has(key) && Boolean(held.add(key)));
  const release = async (key: string, token: string) => {
    if (!redis) return void held.delete(key);
    await redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, key, token);
  };
  return {
    strategy: 'lock (baseline L)',
    async hold(r) {
      const key = `${process.env.REDIS_KEY_PREFIX ?? ''}bench-lock:event:${r.event_id}`;
      const token = randomUUID();
      const deadline = Date.now() + WAIT_MS;
      while (!(await take(key, token))) {
        if (Date.now() > deadline) throw new AppError('OVERLOADED', 'the event lock was not free within 10 s', { headers: { 'retry-after': '1' } });
        await sleep(5 + Math.random() * 10);
      }
      try {
        return await inner.hold(r);
      } finally {
        await release(key, token);
      }
    },
  };
}

const config = loadEventlyConfig();
const evently = await buildEvently(config, { logger: createLogger({ level: config.log.level, service: 'evently-lock' }), modules: { bookings: createBookingsModule({ holds: lockWriter }) } });
await evently.listen();
const stop = () => void evently.stop().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
