/**
 * Signals reach every subscriber of a channel in every instance (Redis: two instances on one prefix,
 * as two processes), and nothing else; a Redis subscriber that lost its connection subscribes again
 * and tells its listeners to resync (what was published meanwhile is gone).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from '../../../test/support/suite.js';
import type { RedisClient as Redis } from '../redis.js';
import { createLogger } from '../logger.js';
import { createMemorySignals, createRedisSignals, type Signals } from './signals.js';
import { cleanupRedis, newRedis, redisTargets, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { waitFor } from './bus.testkit.js';

const logger = createLogger({ level: 'silent', service: 'test' });

function recorder() {
  const got: string[] = [];
  let resyncs = 0;
  return { got, resyncs: () => resyncs, listener: { message: (m: string) => void got.push(m), resync: () => void resyncs++ } };
}

async function fansOut(a: Signals, b: Signals): Promise<void> {
  const [onA, onB, other] = [recorder(), recorder(), recorder()];
  const leaveA = a.subscribe('seats', onA.listener);
  b.subscribe('seats', onB.listener);
  a.subscribe('other', other.listener);
  await waitFor(async () => {
    await a.publish('seats', 'probe');
    return onA.got.includes('probe') && onB.got.includes('probe');
  }, 'both subscribed');
  await b.publish('seats', 'one');
  await waitFor(() => onA.got.includes('one') && onB.got.includes('one'), 'both instances told');
  assert.deepEqual(other.got, [], 'another channel hears nothing');
  leaveA();
  await a.publish('seats', 'two');
  await waitFor(() => onB.got.includes('two'), 'the remaining subscriber told');
  assert.ok(!onA.got.includes('two'), 'an unsubscribed listener hears nothing');
}

describe('signals (memory)', () => {
  it('reach every subscriber of the channel, and only those', async () => {
    const s = createMemorySignals(logger);
    await fansOut(s, s);
  });
});

for (const target of redisTargets()) describe(`signals (${target.name})`, { skip: skipWithoutRedis() }, () => {
  const prefix = uniquePrefix('signals');
  const opened: Redis[] = [];
  const connect = () => {
    const r = newRedis(target);
    opened.push(r);
    return r;
  };
  const instance = () => createRedisSignals({ redis: connect(), connect, prefix, logger });
  after(async () => {
    await cleanupRedis(opened[0]!, prefix);
    await Promise.all(opened.map((r) => r.quit().catch(() => r.disconnect())));
  });

  it('reach every subscriber in every instance, and only those', async () => {
    await fansOut(instance(), instance());
  });

  it('after its connection drops, a subscriber subscribes again and its listeners resync', async () => {
    const [publisher, listener] = [instance(), instance()];
    const r = recorder();
    listener.subscribe('seats', r.listener);
    await waitFor(async () => {
      await publisher.publish('seats', 'probe');
      return r.got.includes('probe');
    }, 'subscribed');
    const sub = opened[opened.length - 1]!;
    sub.disconnect(true);
    await waitFor(() => r.resyncs() === 1, 'told to resync');
    await waitFor(async () => {
      await publisher.publish('seats', 'after');
      return r.got.includes('after');
    }, 'subscribed again');
  });
});
