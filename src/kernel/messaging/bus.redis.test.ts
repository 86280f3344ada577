import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from '../../../test/support/suite.js';
import type { RedisClient as Redis } from '../redis.js';
import { cleanupRedis, newRedis, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { busStreamKey } from './bus.redis.js';
import { deferred, failedEventsForSuite, makeEvent, recorder, redisHarness, sleep, waitFor, type RedisDefaults, type RedisHarness } from './bus.testkit.js';
import type { DomainEvent } from './types.js';

describe('redis bus', { skip: skipWithoutRedis() }, () => {
  const suitePrefix = uniquePrefix('bus-redis');
  let admin: Redis;
  let caseNo = 0;
  let h: RedisHarness | undefined;
  const release: (() => void)[] = [];
  const failed = failedEventsForSuite();

  /** A fresh prefix per case: groups read their streams from the start. */
  function harness(defaults: RedisDefaults = {}): RedisHarness {
    h = redisHarness(`${suitePrefix}${++caseNo}:`, failed.store(), defaults);
    return h;
  }

  async function pendingCount(key: string, group: string): Promise<number> {
    const [count] = (await admin.xpending(key, group)) as [number];
    return Number(count);
  }

  before(() => {
    admin = newRedis();
  });
  afterEach(async () => {
    // Handlers parked by "crashed" consumers must return before their bus can stop.
    release.splice(0).forEach((r) => r());
    await h?.close();
    h = undefined;
  });
  after(async () => {
    await cleanupRedis(admin, suitePrefix);
    await admin.quit();
  });

  it('delivers what was published while the group was down once it is back, and nothing twice', async () => {
    const h = harness();
    const publisher = h.bus('publisher');
    const first = recorder();
    const busBefore = h.bus('analytics-1');
    busBefore.subscribe({ group: 'analytics', topics: ['bookings.*'], handler: first.handler });
    await busBefore.start();
    const e1 = makeEvent('bookings.booking.created');
    await publisher.publish([e1]);
    await waitFor(() => first.seen.length === 1, 'the first event');
    await busBefore.stop();

    const missed = [makeEvent('bookings.booking.confirmed'), makeEvent('bookings.booking.cancelled')];
    await publisher.publish(missed);
    const second = recorder();
    const busAfter = h.bus('analytics-1');
    busAfter.subscribe({ group: 'analytics', topics: ['bookings.*'], handler: second.handler });
    // A group that did not exist when the events were published still gets everything retained.
    const late = recorder();
    busAfter.subscribe({ group: 'late-joiner', topics: ['bookings.*'], handler: late.handler });
    await busAfter.start();

    await waitFor(() => second.seen.length >= 2 && late.seen.length >= 3, 'catch-up');
    await sleep(h.settleMs);
    assert.deepEqual(second.ids(), missed.map((e) => e.id));
    assert.deepEqual(late.ids(), [e1, ...missed].map((e) => e.id));
  });

  it('hands the entries of a consumer that died mid-handler to another consumer (XAUTOCLAIM)', async () => {
    const h = harness({ claimIdleMs: 200 });
    const gate = deferred();
    release.push(gate.resolve);
    const dying: DomainEvent[] = [];
    const busA = h.bus('a');
    busA.subscribe({ group: 'notifications', topics: ['auth.*'], handler: async (e) => {
        dying.push(e);
        await gate.promise; // never returns before the "crash"
      },
    });
    await busA.start();
    const event = makeEvent('auth.user.registered');
    await busA.publish([event]);
    await waitFor(() => dying.length === 1, 'consumer a to take the event');
    h.crash('a');

    const survivor = recorder();
    const busB = h.bus('b');
    busB.subscribe({ group: 'notifications', topics: ['auth.*'], handler: survivor.handler });
    await busB.start();
    await waitFor(() => survivor.seen.length === 1, 'consumer b to claim the event');
    assert.equal(survivor.seen[0]!.id, event.id);
    await waitFor(async () => (await pendingCount(busStreamKey(h.prefix, 'auth'), 'notifications')) === 0, 'the ack');
  });

  it('re-reads its own unacknowledged entries at once when restarted under the same name', async () => {
    // A claim threshold far beyond the test's wait: only the own-pending re-read can deliver in time.
    const h = harness({ claimIdleMs: 60_000 });
    const gate = deferred();
    release.push(gate.resolve);
    const dying: DomainEvent[] = [];
    const busA = h.bus('worker-1');
    busA.subscribe({ group: 'events', topics: ['bookings.*'], handler: async (e) => {
        dying.push(e);
        await gate.promise; // never returns before the "crash"
      },
    });
    await busA.start();
    const event = makeEvent('bookings.availability.changed');
    await busA.publish([event]);
    await waitFor(() => dying.length === 1, 'the first run to take the event');
    h.crash('worker-1');

    const restarted = recorder();
    const busA2 = h.bus('worker-1');
    busA2.subscribe({ group: 'events', topics: ['bookings.*'], handler: restarted.handler });
    await busA2.start();
    await waitFor(() => restarted.seen.length === 1, 'the restarted consumer to redeliver', 5_000);
    assert.equal(restarted.seen[0]!.id, event.id);
  });

  it('dead-letters a poison event after maxDeliveries into the failed-events store and acknowledges it', async () => {
    const h = harness({ claimIdleMs: 100, maxDeliveries: 3 });
    const calls: string[] = [];
    const bus = h.bus('c1');
    bus.subscribe({
      group: 'analytics',
      topics: ['events.*'],
      handler: async (e) => {
        calls.push(e.id);
        throw new Error('cannot parse payload');
      },
    });
    await bus.start();
    const poison = makeEvent('events.event.created', { broken: true }, 'req-poison');
    await bus.publish([poison]);

    await waitFor(async () => (await failed.store().list({ group: 'analytics', status: 'dead' })).some((d) => d.key === poison.id), 'the dead letter');
    await sleep(h.settleMs);
    assert.equal(calls.length, 3, 'the handler ran maxDeliveries times');
    const dead = (await failed.store().list({ group: 'analytics' })).filter((d) => d.key === poison.id);
    assert.equal(dead.length, 1);
    assert.deepEqual({ error: dead[0]!.lastError, attempts: dead[0]!.attempts, event: dead[0]!.event }, { error: 'cannot parse payload', attempts: 3, event: poison });
    assert.equal(await pendingCount(busStreamKey(h.prefix, 'events'), 'analytics'), 0);
    const logged = h.logs.find((l) => l.level === 50 && l.eventId === poison.id);
    assert.equal(logged?.correlationId, 'req-poison');
  });

  it('dead-letters an entry that holds no event, keeping its raw text', async () => {
    const h = harness();
    const bus = h.bus('c1');
    bus.subscribe({ group: 'raw-reader', topics: ['events.*'], handler: recorder().handler });
    await bus.start();
    const stream = busStreamKey(h.prefix, 'events');
    const entryId = await admin.xadd(stream, '*', 'type', 'events.event.created', 'event', '{not json');
    await waitFor(async () => (await failed.store().list({ group: 'raw-reader' })).length === 1, 'the dead letter');
    const [dead] = await failed.store().list({ group: 'raw-reader' });
    assert.deepEqual({ key: dead!.key, raw: dead!.raw, event: dead!.event, status: dead!.status }, { key: `${stream}/${entryId}`, raw: '{not json', event: null, status: 'dead' });
    assert.equal(await pendingCount(stream, 'raw-reader'), 0);
  });

  it('acknowledges the entries its topics do not want instead of leaving them pending', async () => {
    const h = harness();
    const seen = recorder();
    const bus = h.bus('n1');
    bus.subscribe({ group: 'notifications', topics: ['bookings.booking.confirmed'], handler: seen.handler });
    await bus.start();
    const wanted = makeEvent('bookings.booking.confirmed');
    await bus.publish([makeEvent('bookings.booking.created'), makeEvent('bookings.waitlist.joined'), wanted]);
    await waitFor(() => seen.seen.length === 1, 'the wanted event');
    await waitFor(async () => (await pendingCount(busStreamKey(h.prefix, 'bookings'), 'notifications')) === 0, 'acks');
    assert.deepEqual(seen.ids(), [wanted.id]);
  });

  it('resumes after losing its connection and its stream (a Redis restart without persistence)', async () => {
    const h = harness();
    const seen = recorder();
    const bus = h.bus('r1');
    bus.subscribe({ group: 'audit', topics: ['auth.*'], handler: seen.handler });
    await bus.start();
    const before = makeEvent('auth.user.registered');
    await bus.publish([before]);
    await waitFor(() => seen.seen.length === 1, 'the first event');

    await admin.del(busStreamKey(h.prefix, 'auth'));
    for (const conn of h.connectionsOf('r1')) await admin.client('KILL', 'ID', String(await conn.client('ID')));
    const afterRestart = makeEvent('auth.user.updated');
    await bus.publish([afterRestart]);
    await waitFor(() => seen.seen.length === 2, 'the event published after the restart');
    assert.deepEqual(seen.ids(), [before.id, afterRestart.id]);
  });

  it('stops without waiting out a long blocking read, after the handler in flight returns', async () => {
    const h = harness({ blockMs: 10_000, claimIdleMs: 60_000 });
    const idle = h.bus('idle');
    idle.subscribe({ group: 'idle', topics: ['events.*'], handler: recorder().handler });
    await idle.start();
    await sleep(100);
    const startedAt = Date.now();
    await idle.stop();
    assert.ok(Date.now() - startedAt < 5_000, 'stop interrupted the blocking read');

    const gate = deferred();
    let started = false;
    let finished = false;
    const busy = h.bus('busy');
    busy.subscribe({ group: 'busy', topics: ['events.*'], handler: async () => {
      started = true;
      await gate.promise;
      finished = true;
    } });
    await busy.start();
    await busy.publish([makeEvent('events.event.published')]);
    // The handler itself, not the entry's delivery: an entry read but not yet handed to a handler
    // when stop comes stays pending for another consumer, which is not what this case is about.
    await waitFor(async () => started, 'the handler to start');
    const stopping = busy.stop();
    setTimeout(gate.resolve, 100);
    await stopping;
    assert.ok(finished, 'stop waited for the handler');
    assert.equal(await pendingCount(busStreamKey(h.prefix, 'events'), 'busy'), 0, 'and acknowledged its entry');
  });

  it('a consumer stopping after its last handler reads nothing new: an event published meanwhile stays for the others', async () => {
    const h = harness({ blockMs: 5_000, claimIdleMs: 60_000 });
    const stream = busStreamKey(h.prefix, 'events');
    // The first event is already pending on this consumer (read before a crash), so the restarted
    // consumer handles it while draining its own pending list, the step before claiming and reading.
    const first = makeEvent('events.event.published');
    await admin.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    await admin.xadd(stream, '*', 'type', first.type, 'event', JSON.stringify(first));
    await admin.xreadgroup('GROUP', 'g', 'stopping', 'COUNT', 10, 'STREAMS', stream, '>');
    const gate = deferred();
    const handled: string[] = [];
    const busy = h.bus('stopping');
    busy.subscribe({ group: 'g', topics: ['events.*'], handler: async (e) => { handled.push(e.id); await gate.promise; } });
    await busy.start();
    await waitFor(async () => handled.length === 1, 'the pending event to be handled');
    const second = makeEvent('events.event.published');
    await busy.publish([second]);
    const startedAt = Date.now();
    const stopping = busy.stop();
    setTimeout(gate.resolve, 100);
    await stopping;
    assert.ok(Date.now() - startedAt < 2_000, `stop took ${Date.now() - startedAt} ms: it waited on a new blocking read`);
    assert.deepEqual(handled, [first.id]);
    // Not read by the stopping consumer (it would sit in its pending list for claimIdleMs): a new
    // consumer of the group gets it at once.
    assert.equal(await pendingCount(stream, 'g'), 0);
    const next = recorder();
    const replica = h.bus('replica');
    replica.subscribe({ group: 'g', topics: ['events.*'], handler: next.handler });
    await replica.start();
    await waitFor(async () => next.ids().includes(second.id), 'the replica to get the second event');
  });
});
