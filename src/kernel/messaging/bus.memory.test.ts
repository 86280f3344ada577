import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryBus } from './bus.memory.js';
import { captureLogger, deferred, makeEvent, recorder, sleep, waitFor } from './bus.testkit.js';

describe('memory bus', () => {
  it('after maxAttempts, records the failure, logs it and rejects publish so the event stays in the outbox', async () => {
    const { logger, lines } = captureLogger();
    const bus = createMemoryBus({ logger, maxAttempts: 3, retryDelayMs: 5 });
    let calls = 0;
    bus.subscribe({
      group: 'mailer',
      topics: ['auth.*'],
      handler: async () => {
        calls++;
        throw new Error('smtp down');
      },
    });
    await bus.start();
    const poison = makeEvent('auth.otp.requested', {}, 'req-otp');
    await assert.rejects(bus.publish([poison]), /group mailer could not handle auth\.otp\.requested .*: smtp down/);

    assert.equal(calls, 3);
    const [dead, ...more] = bus.deadLetters();
    assert.equal(more.length, 0);
    assert.deepEqual({ group: dead?.group, id: dead?.event.id, error: dead?.error, attempts: dead?.attempts },
      { group: 'mailer', id: poison.id, error: 'smtp down', attempts: 3 });
    const logged = lines.find((l) => l.level === 50 && l.eventId === poison.id);
    assert.equal(logged?.correlationId, 'req-otp');
    await bus.stop();
  });

  it('lets a fast group go ahead of a slow one, and resolves publish only when both are done', async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger });
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
    const bus = createMemoryBus({ logger });
    bus.subscribe({ group: 'g', topics: ['auth.*'], handler: recorder().handler });
    await assert.rejects(bus.publish([makeEvent('auth.user.registered')]), /not started/);
    await bus.start();
    await bus.stop();
    await assert.rejects(bus.publish([makeEvent('auth.user.registered')]), /stopped/);
  });

  it('abandons pending retries on stop and rejects their publish', { timeout: 5_000 }, async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger, maxAttempts: 5, retryDelayMs: 60_000 });
    let calls = 0;
    bus.subscribe({
      group: 'g',
      topics: ['auth.*'],
      handler: async () => {
        calls++;
        throw new Error('down');
      },
    });
    await bus.start();
    const published = bus.publish([makeEvent('auth.user.registered')]);
    await waitFor(() => calls === 1, 'the first attempt');
    await bus.stop();
    await assert.rejects(published, /stopped before every group handled/);
    assert.equal(calls, 1);
    assert.equal(bus.deadLetters().length, 0, 'not dead-lettered: it stays in the outbox');
  });

  it('gives each group its own copy of the event', async () => {
    const { logger } = captureLogger();
    const bus = createMemoryBus({ logger });
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
