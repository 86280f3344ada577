import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createDatabase } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createMemoryBus } from './bus.memory.js';
import { captureLogger, deferred, failedEventsForSuite, FAST_RETRY, makeEvent, recorder, sleep, waitFor } from './bus.testkit.js';
import { createFailedEvents } from './failed-events.js';
import type { DomainEvent } from './types.js';

describe('memory bus', () => {
  const failed = failedEventsForSuite();
  const bus = (logger: Logger, maxAttempts = 5) => createMemoryBus({ logger, failed: failed.store(), ...FAST_RETRY, retry: { ...FAST_RETRY.retry, maxAttempts } });

  it('sets a failing delivery aside at once and retries it in the background until it succeeds', async () => {
    const { logger, lines } = captureLogger();
    const b = bus(logger);
    let calls = 0;
    const handled: DomainEvent[] = [];
    b.subscribe({
      group: 'mailer',
      topics: ['auth.*'],
      handler: async (e) => {
        if (++calls <= 2) throw new Error('smtp down');
        handled.push(e);
      },
    });
    await b.start();
    const event = makeEvent('auth.otp.requested', {}, 'req-otp');
    await b.publish([event]); // resolves although the handler failed: the event waits in the store
    assert.deepEqual(handled, []);
    const [waiting] = await failed.store().list({ group: 'mailer' });
    assert.deepEqual({ status: waiting?.status, key: waiting?.key, error: waiting?.lastError }, { status: 'retrying', key: event.id, error: 'smtp down' });
    await waitFor(() => handled.length === 1, 'the retried delivery');
    await waitFor(async () => (await failed.store().list({ group: 'mailer' })).length === 0, 'the failure forgotten');
    assert.equal(calls, 3);
    assert.equal(lines.find((l) => l.level === 40 && l.eventId === event.id)?.correlationId, 'req-otp');
    await b.stop();
  });

  it('with a single attempt, dead-letters at once', async () => {
    const { logger } = captureLogger();
    const b = bus(logger, 1);
    b.subscribe({ group: 'once', topics: ['auth.*'], handler: async () => { throw new Error('bad payload'); } });
    await b.start();
    const event = makeEvent('auth.user.registered');
    await b.publish([event]);
    const [dead] = await failed.store().list({ group: 'once' });
    assert.deepEqual({ status: dead?.status, attempts: dead?.attempts }, { status: 'dead', attempts: 1 });
    await b.stop();
  });

  it('an event whose handling never finished (the process died each time) is buried without running it again', async () => {
    const { logger, lines } = captureLogger();
    const b = bus(logger, 3);
    let calls = 0;
    b.subscribe({ group: 'crashy', topics: ['auth.*'], handler: async () => void calls++ });
    const event = makeEvent('auth.user.registered');
    // As a process leaves it that died inside the handler on its third attempt: claimed, lease over.
    await sql`insert into platform.failed_events (group_name, event_key, event_type, event, status, attempts, last_error, next_attempt_at, claimed_until)
      values ('crashy', ${event.id}, ${event.type}, ${JSON.stringify(event)}::jsonb, 'retrying', 3, 'boom', now(), now() - interval '1 second')`.execute(failed.database().db);
    await b.start();
    await waitFor(async () => (await failed.store().list({ group: 'crashy', status: 'dead' })).length === 1, 'buried');
    await b.stop();
    assert.equal(calls, 0, 'not run a fourth time');
    const [dead] = await failed.store().list({ group: 'crashy' });
    assert.match(dead!.lastError, /not finished after 3 attempts/);
    assert.ok(lines.some((l) => l.level === 50 && l.eventId === event.id));
  });

  it('a redelivered dead letter stays dead; discard deletes dead letters for good', async () => {
    const store = failed.store();
    const event = makeEvent('auth.user.registered');
    await store.bury('discarding', { key: event.id, event }, 'broken', 5);
    assert.equal(await store.retryLater('discarding', event, 'broken again', 10), 'dead');
    assert.equal(await store.retryLater('discarding', makeEvent('auth.user.verified'), 'first failure', 10), 'retrying');
    assert.equal(await store.discard('discarding', [event.id]), 1);
    assert.deepEqual((await store.list({ group: 'discarding' })).map((f) => f.status), ['retrying'], 'only dead letters are discarded');
  });

  it('rejects publish when the store cannot take a failure, so the event stays in the outbox', async () => {
    const { logger } = captureLogger();
    const closed = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/none', poolMax: 1, logger, acquireTimeoutMs: 500 });
    const b = createMemoryBus({ logger, failed: createFailedEvents(closed.db), ...FAST_RETRY });
    b.subscribe({ group: 'g', topics: ['auth.*'], handler: async () => { throw new Error('down'); } });
    await b.start();
    await assert.rejects(b.publish([makeEvent('auth.user.registered')]), /ECONNREFUSED|connect/);
    await b.stop();
    await closed.close();
  });

  it('lets a fast group go ahead of a slow one, and resolves publish only when both are done', async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger, failed: failed.store() });
    const gate = deferred();
    const slow: string[] = [];
    const fast = recorder();
    bus.subscribe({ group: 'slow', topics: ['events.*'], handler: async (e) => { await gate.promise; slow.push(e.id); } });
    bus.subscribe({ group: 'fast', topics: ['events.*'], handler: fast.handler });
    await bus.start();

    const first = [makeEvent('events.event.created')];
    const second = [makeEvent('events.event.updated'), makeEvent('events.event.published')];
    let resolved = 0;
    const p1 = bus.publish(first).then(() => resolved++);
    const p2 = bus.publish(second).then(() => resolved++);
    await waitFor(() => fast.seen.length === 3, 'the fast group');
    await sleep(20);
    assert.equal(resolved, 0, 'publish waits for the slow group');
    assert.deepEqual(slow, []);

    gate.resolve();
    await Promise.all([p1, p2]);
    assert.deepEqual(slow, [...first, ...second].map((e) => e.id), 'each group keeps publish order');
    assert.deepEqual(fast.ids(), slow);
    await bus.stop();
  });

  it('rejects publish before start and after stop, so the relay keeps the events', async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger, failed: failed.store() });
    bus.subscribe({ group: 'g', topics: ['auth.*'], handler: recorder().handler });
    await assert.rejects(bus.publish([makeEvent('auth.user.registered')]), /not started/);
    await bus.start();
    await bus.stop();
    await assert.rejects(bus.publish([makeEvent('auth.user.registered')]), /stopped/);
  });

  it('on stop, finishes the handler in flight and abandons the queued events, rejecting their publish', { timeout: 5_000 }, async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger, failed: failed.store() });
    const gate = deferred();
    const seen: string[] = [];
    bus.subscribe({ group: 'g', topics: ['auth.*'], handler: async (e) => { await gate.promise; seen.push(e.id); } });
    await bus.start();
    const [first, second] = [makeEvent('auth.user.registered'), makeEvent('auth.user.verified')];
    const published = bus.publish([first!, second!]);
    await sleep(20);
    const stopped = bus.stop();
    gate.resolve();
    await stopped;
    await assert.rejects(published, /stopped before every group handled/);
    assert.deepEqual(seen, [first!.id], 'the queued event is not delivered: it stays in the outbox');
  });

  it('gives each group its own copy of the event', async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger, failed: failed.store() });
    const b = recorder();
    bus.subscribe({ group: 'a', topics: ['events.*'], handler: async (e) => void ((e.payload as { title: string }).title = 'mutated') });
    bus.subscribe({ group: 'b', topics: ['events.*'], handler: b.handler });
    await bus.start();
    const event = makeEvent('events.event.created', { title: 'Gig' });
    await bus.publish([event]);
    assert.deepEqual(b.seen[0]?.payload, { title: 'Gig' });
    assert.deepEqual(event.payload, { title: 'Gig' });
    await bus.stop();
  });
});
