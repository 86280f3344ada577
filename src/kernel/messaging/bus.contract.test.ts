import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from '../../../test/support/suite.js';
import type { RedisClient as Redis } from '../redis.js';
import { cleanupRedis, newRedis, redisTargets, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { failedEventsForSuite, makeEvent, memoryHarness, recorder, redisHarness, sleep, waitFor, type BusHarness } from './bus.testkit.js';
import type { FailedEvents } from './failed-events.js';
import type { DomainEvent } from './types.js';

const sortedIds = (events: DomainEvent[]): string[] => events.map((e) => e.id).sort();

/** Deliveries per event before a dead letter, in both harnesses. */
const MAX_ATTEMPTS = 3;

/** The same cases run against every implementation: both must give these guarantees. */
function contract(makeHarness: () => BusHarness, failed: () => FailedEvents): void {
  let h: BusHarness;
  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('delivers every matching event exactly once to every group', async () => {
    const bus = h.bus();
    const audit = recorder();
    const mailer = recorder();
    bus.subscribe({ group: 'audit', topics: ['auth.*'], handler: audit.handler });
    bus.subscribe({ group: 'mailer', topics: ['auth.user.registered', 'events.event.created'], handler: mailer.handler });
    await bus.start();

    const events = [
      makeEvent('auth.user.registered', { email: 'a@example.test' }),
      makeEvent('events.event.created', { title: 'Gig' }),
      makeEvent('auth.session.revoked'),
      makeEvent('bookings.booking.created'),
      makeEvent('auth.user.registered', { email: 'b@example.test' }),
      makeEvent('events.event.deleted'),
      makeEvent('auth.user.deleted'),
    ];
    await bus.publish(events.slice(0, 4));
    await bus.publish(events.slice(4));

    const forAudit = events.filter((e) => e.type.startsWith('auth.'));
    const forMailer = events.filter((e) => e.type === 'auth.user.registered' || e.type === 'events.event.created');
    await waitFor(() => audit.seen.length >= forAudit.length && mailer.seen.length >= forMailer.length, 'both groups');
    await sleep(h.settleMs);

    // One producing module, one consumer: publish order is kept.
    assert.deepEqual(audit.ids(), forAudit.map((e) => e.id));
    assert.deepEqual(sortedIds(mailer.seen), sortedIds(forMailer));
    assert.deepEqual(audit.seen[0], events[0], 'the event arrives intact');
  });

  it('lets replicas of one group share the events, together handling each exactly once', async () => {
    const a = recorder(5);
    const b = recorder(5);
    const busA = h.bus('replica-a', { batchSize: 1 });
    const busB = h.bus('replica-b', { batchSize: 1 });
    busA.subscribe({ group: 'bookings', topics: ['events.*'], handler: a.handler });
    busB.subscribe({ group: 'bookings', topics: ['events.*'], handler: b.handler });
    await busA.start();
    await busB.start();

    const events = Array.from({ length: 20 }, (_, i) => makeEvent('events.event.updated', { i }));
    await busA.publish(events);
    await waitFor(() => a.seen.length + b.seen.length >= events.length, 'all events handled by the replicas');
    await sleep(h.settleMs);

    assert.deepEqual(sortedIds([...a.seen, ...b.seen]), sortedIds(events));
    assert.ok(a.seen.length > 0 && b.seen.length > 0, `both replicas work (a=${a.seen.length}, b=${b.seen.length})`);
  });

  it('delivers an event again after its handler threw, and logs the failure with its correlation id', async () => {
    const bus = h.bus();
    const flaky = makeEvent('bookings.booking.confirmed', { n: 2 }, 'req-flaky');
    const events = [makeEvent('bookings.booking.confirmed', { n: 1 }), flaky, makeEvent('bookings.booking.confirmed', { n: 3 })];
    const attempts = new Map<string, number>();
    const handled: DomainEvent[] = [];
    bus.subscribe({
      group: 'analytics',
      topics: ['bookings.booking.confirmed'],
      handler: async (event) => {
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        if (event.id === flaky.id && attempt === 1) throw new Error('transient failure');
        handled.push(event);
      },
    });
    await bus.start();
    await bus.publish(events);

    await waitFor(() => handled.length >= events.length, 'every event handled');
    await sleep(h.settleMs);
    assert.deepEqual(sortedIds(handled), sortedIds(events));
    assert.equal(attempts.get(flaky.id), 2);
    for (const e of events) if (e !== flaky) assert.equal(attempts.get(e.id), 1);
    const warning = h.logs.find((l) => l.level === 40 && l.eventId === flaky.id);
    assert.ok(warning, 'the handler failure is logged as a warning');
    assert.equal(warning.eventType, flaky.type);
    assert.equal(warning.correlationId, 'req-flaky');
  });

  it('dead-letters an event a group cannot handle, while that group and every other get every later event; a replay delivers it', async () => {
    const bus = h.bus();
    const healthy = recorder();
    const handled: DomainEvent[] = [];
    let fixed = false;
    const poison = makeEvent('bookings.booking.created', { poison: true }, 'req-poison');
    bus.subscribe({
      group: 'poisoned',
      topics: ['bookings.*'],
      handler: async (e) => {
        if ((e.payload as { poison?: boolean }).poison && !fixed) throw new Error('cannot render the mail');
        handled.push(e);
      },
    });
    bus.subscribe({ group: 'healthy', topics: ['bookings.*'], handler: healthy.handler });
    await bus.start();
    await bus.publish([poison]);
    const later = Array.from({ length: 6 }, (_, i) => makeEvent('bookings.booking.confirmed', { i }));
    for (const e of later) await bus.publish([e]);

    // Neither the poisoned group's later events nor the other group wait for the poison.
    await waitFor(() => handled.length >= later.length && healthy.seen.length >= later.length + 1, 'every later event in both groups');
    assert.deepEqual(sortedIds(handled), sortedIds(later));
    assert.deepEqual(sortedIds(healthy.seen), sortedIds([poison, ...later]));

    await waitFor(async () => (await failed().list({ group: 'poisoned', status: 'dead' })).length === 1, 'the dead letter', 15_000);
    const [dead] = await failed().list({ group: 'poisoned' });
    assert.deepEqual(
      { key: dead!.key, type: dead!.type, attempts: dead!.attempts, error: dead!.lastError, event: dead!.event },
      { key: poison.id, type: poison.type, attempts: MAX_ATTEMPTS, error: 'cannot render the mail', event: poison },
    );
    assert.ok(h.logs.some((l) => l.level === 50 && l.eventId === poison.id && l.correlationId === 'req-poison'), 'the dead letter is logged with its correlation id');
    assert.deepEqual(await failed().list({ group: 'healthy' }), []);

    fixed = true;
    assert.equal(await failed().replay('poisoned'), 1);
    await waitFor(() => handled.some((e) => e.id === poison.id), 'the replayed event');
    await waitFor(async () => (await failed().list({ group: 'poisoned' })).length === 0, 'the dead letter resolved');
    await sleep(h.settleMs);
    assert.equal(handled.filter((e) => e.id === poison.id).length, 1);
    assert.equal(healthy.seen.filter((e) => e.id === poison.id).length, 1, 'the replay goes to the failed group only');
  });

  it('a database that is away for longer than the attempts allow dead-letters nothing: the event is handled once it is back', async () => {
    const bus = h.bus();
    const event = makeEvent('bookings.booking.created', { n: 1 });
    let outage = MAX_ATTEMPTS + 2;
    const handled: DomainEvent[] = [];
    bus.subscribe({
      group: 'projector',
      topics: ['bookings.*'],
      handler: async (e) => {
        // What pg throws while PostgreSQL refuses connections.
        if (outage-- > 0) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        handled.push(e);
      },
    });
    await bus.start();
    await bus.publish([event]);
    await waitFor(() => handled.length === 1, 'the event after the outage', 20_000);
    await sleep(h.settleMs);
    assert.deepEqual(handled.map((e) => e.id), [event.id]);
    assert.deepEqual(await failed().list({ group: 'projector' }), [], 'no dead letter, nothing left waiting');
  });

  it('does not deliver event types outside the topics', async () => {
    const bus = h.bus();
    const notifications = recorder();
    bus.subscribe({ group: 'notifications', topics: ['bookings.booking.confirmed', 'auth.user.*'], handler: notifications.handler });
    await bus.start();

    const wanted = [makeEvent('auth.user.verified'), makeEvent('bookings.booking.confirmed')];
    await bus.publish([
      makeEvent('bookings.booking.created'),
      makeEvent('auth.session.revoked'),
      makeEvent('events.event.created'),
      makeEvent('bookings.waitlist.joined'),
      wanted[0]!,
      makeEvent('auth.otp.requested'),
      wanted[1]!,
      makeEvent('bookings.booking.cancelled'),
    ]);
    await waitFor(() => notifications.seen.length >= wanted.length, 'the matching events');
    await sleep(h.settleMs);
    assert.deepEqual(sortedIds(notifications.seen), sortedIds(wanted));
  });

  it('rejects subscriptions it could not route, and groups reused with other topics', async () => {
    const bus = h.bus();
    const { handler } = recorder();
    assert.throws(() => bus.subscribe({ group: 'x', topics: ['*'], handler }), /invalid topic/);
    assert.throws(() => bus.subscribe({ group: 'x', topics: ['auth'], handler }), /invalid topic/);
    assert.throws(() => bus.subscribe({ group: 'x', topics: [], handler }), /no topics/);
    bus.subscribe({ group: 'x', topics: ['auth.*'], handler });
    assert.throws(() => bus.subscribe({ group: 'x', topics: ['events.*'], handler }), /other topics/);
    await bus.start();
    assert.throws(() => bus.subscribe({ group: 'y', topics: ['auth.*'], handler }), /before start/);
  });
}

describe('memory bus contract', () => {
  const failed = failedEventsForSuite();
  contract(() => memoryHarness(failed.store(), { maxAttempts: MAX_ATTEMPTS }), failed.store);
});

for (const target of redisTargets()) describe(`${target.name} bus contract`, { skip: skipWithoutRedis() }, () => {
  const suitePrefix = uniquePrefix('bus-contract');
  let admin: Redis;
  let caseNo = 0;
  before(() => {
    admin = newRedis(target);
  });
  after(async () => {
    await cleanupRedis(admin, suitePrefix);
    await admin.quit();
  });
  // A prefix per case: groups start at the beginning of their streams and would see earlier cases' events.
  const failed = failedEventsForSuite();
  contract(() => redisHarness(`${suitePrefix}${++caseNo}:`, failed.store(), { maxDeliveries: MAX_ATTEMPTS }, target), failed.store);
});
