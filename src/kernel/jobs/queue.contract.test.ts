import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from '../../../test/support/suite.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { cleanupRedis, newRedis as newTargetRedis, redisTargets, skipWithoutRedis, uniquePrefix } from '../../../test/support/redis.js';
import { currentContext, runWithContext } from '../context.js';
import { createBullQueue, createMemoryQueue, PermanentJobError, type JobQueue, type RetryPolicy } from './index.js';
import { scanKeys } from '../redis.js';

const logger = pino({ level: 'silent' });
const FAST: RetryPolicy = { attempts: 3, baseDelayMs: 20, maxDelayMs: 2000 };
const TEST = { timeout: 15_000 };

type Factory = (retry: RetryPolicy) => JobQueue;

async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 8000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

/** The same cases for every adapter; each test owns its queue and job names. */
function contract(make: Factory): void {
  const queues: JobQueue[] = [];
  const queue = (retry: RetryPolicy = FAST): JobQueue => {
    const q = make(retry);
    queues.push(q);
    return q;
  };
  after(async () => {
    await Promise.all(queues.map((q) => q.stop()));
  });

  /**
   * With concurrency 1 a queue runs its ready jobs in order, so once a marker enqueued last has run,
   * any duplicate that had been added would have run too.
   */
  async function drain(q: JobQueue, name: string, markers: Set<string>): Promise<void> {
    const { id } = await q.enqueue(name, { marker: true });
    await waitFor(`marker of ${name}`, () => markers.has(id));
  }

  it('runs a job once with its data, in the request context that enqueued it', TEST, async () => {
    const q = queue();
    const runs: Array<{ data: unknown; id: string; attempt: number; maxAttempts: number; correlationId: string | null; requestId?: string }> = [];
    const markers = new Set<string>();
    q.process<{ marker?: boolean }>('run-once', async (data, ctx) => {
      if (data.marker) markers.add(ctx.id);
      else runs.push({ data, ...ctx, requestId: currentContext()?.requestId });
      return 'done';
    });
    await q.start();
    const added = await runWithContext({ requestId: 'req-42' }, () =>
      q.enqueue('run-once', { orderId: 7, tags: ['a'] }, { jobId: 'order:7' }),
    );
    assert.deepEqual(added, { id: 'order:7', created: true });
    await waitFor('the job', () => runs.length === 1);
    await drain(q, 'run-once', markers);
    assert.deepEqual(runs, [
      { data: { orderId: 7, tags: ['a'] }, id: 'order:7', name: 'run-once', attempt: 1, maxAttempts: 3, correlationId: 'req-42', requestId: 'req-42' },
    ]);
  });

  it('without a request, a job gets an id and runs under it as request id', TEST, async () => {
    const q = queue();
    const seen: Array<{ id: string; correlationId: string | null; requestId?: string }> = [];
    q.process('no-request', async (_data, ctx) => {
      seen.push({ id: ctx.id, correlationId: ctx.correlationId, requestId: currentContext()?.requestId });
      return 'skipped';
    });
    await q.start();
    const generated = await q.enqueue('no-request', null);
    const numeric = await q.enqueue('no-request', null, { jobId: '42' });
    assert.ok(generated.id.length > 0 && generated.created);
    assert.deepEqual(numeric, { id: '42', created: true });
    await waitFor('both jobs', () => seen.length === 2);
    assert.deepEqual(
      seen.sort((a, b) => a.id.localeCompare(b.id)),
      [generated.id, '42'].sort().map((id) => ({ id, correlationId: null, requestId: id })),
    );
    assert.deepEqual(await q.deadLetters('no-request'), [], "'skipped' is a success");
  });

  it('retries a failing handler: fails twice, succeeds on attempt 3, then is done', TEST, async () => {
    const q = queue({ ...FAST, attempts: 5 });
    const attempts: number[] = [];
    q.process('flaky', async (_data, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error(`flake ${ctx.attempt}`);
      return 'done';
    });
    await q.start();
    await q.enqueue('flaky', {}, { jobId: 'flaky-1' });
    await waitFor('third attempt', () => attempts.length >= 3);
    // Longer than the next backoff would be (≤ 20 * 2^2 ms): a 4th attempt would have started.
    await sleep(300);
    assert.deepEqual(attempts, [1, 2, 3]);
    assert.deepEqual(await q.deadLetters('flaky'), []);
  });

  it('waits longer before each retry (exponential backoff)', TEST, async () => {
    const base = 40;
    const q = queue({ attempts: 4, baseDelayMs: base, maxDelayMs: 10_000 });
    const startedAt: number[] = [];
    q.process('backoff', async () => {
      startedAt.push(performance.now());
      throw new Error('always');
    });
    await q.start();
    await q.enqueue('backoff', {});
    await waitFor('dead letter', async () => (await q.deadLetters('backoff')).length === 1);
    assert.equal(startedAt.length, 4);
    const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
    // Retry n waits at least half its ceiling base * 2^(n-1); 2 ms for timer rounding.
    gaps.forEach((gap, i) => assert.ok(gap >= (base * 2 ** i) / 2 - 2, `gap ${i + 1} was ${gap} ms`));
    assert.ok(gaps[2]! > gaps[0]!, `gaps did not grow: ${gaps.join(', ')}`);
  });

  it('dead-letters a job that fails every attempt, and retryDead runs it again', TEST, async () => {
    const q = queue({ ...FAST, attempts: 2 });
    let healthy = false;
    const calls: number[] = [];
    q.process('doomed', async (_data, ctx) => {
      calls.push(ctx.attempt);
      if (!healthy) throw new Error(`boom ${ctx.attempt}`);
      return 'done';
    });
    await q.start();
    await q.enqueue('doomed', { n: 1 }, { jobId: 'dead:1' });
    await waitFor('dead letter', async () => (await q.deadLetters('doomed')).length > 0);
    const [dead, ...rest] = await q.deadLetters('doomed');
    assert.deepEqual(rest, []);
    assert.deepEqual({ ...dead, failedAt: undefined }, {
      id: 'dead:1',
      name: 'doomed',
      data: { n: 1 },
      attempts: 2,
      error: 'boom 2',
      failedAt: undefined,
    });
    assert.ok(Math.abs(Date.parse(dead!.failedAt) - Date.now()) < 60_000, dead!.failedAt);
    assert.deepEqual(calls, [1, 2]);
    assert.deepEqual(await q.counts(), [{ name: 'doomed', waiting: 0, delayed: 0, active: 0, dead: 1 }], 'the metrics see the dead job');

    healthy = true;
    assert.equal(await q.retryDead('doomed', 'dead:1'), true);
    await waitFor('the retried run', () => calls.length === 3);
    assert.equal(calls[2], 1, 'a retried dead job starts a fresh set of attempts');
    await waitFor('empty dead letters', async () => (await q.deadLetters('doomed')).length === 0);
    assert.equal(await q.retryDead('doomed', 'dead:1'), false, 'no longer dead');
    assert.equal(await q.retryDead('doomed', 'never-existed'), false);
  });

  it('a PermanentJobError skips the remaining attempts: dead-lettered after one', TEST, async () => {
    const q = queue({ ...FAST, attempts: 5 });
    const calls: Array<{ attempt: number; maxAttempts: number }> = [];
    q.process('hopeless', async (_data, ctx) => {
      calls.push({ attempt: ctx.attempt, maxAttempts: ctx.maxAttempts });
      throw new PermanentJobError('550 no such user');
    });
    await q.start();
    await q.enqueue('hopeless', { to: 'x' }, { jobId: 'perm:1' });
    await waitFor('dead letter', async () => (await q.deadLetters('hopeless')).length > 0);
    // Longer than the first backoff (≤ 20 ms): a retry would have started.
    await sleep(200);
    assert.deepEqual(calls, [{ attempt: 1, maxAttempts: 5 }]);
    const [dead] = await q.deadLetters('hopeless');
    assert.deepEqual({ id: dead!.id, attempts: dead!.attempts, error: dead!.error }, { id: 'perm:1', attempts: 1, error: '550 no such user' });

    // Dead-lettered, not lost: an operator can still run it again.
    assert.equal(await q.retryDead('hopeless', 'perm:1'), true);
    await waitFor('the retried run', () => calls.length === 2);
    assert.deepEqual(calls[1], { attempt: 1, maxAttempts: 5 });
  });

  it('runs a job id once however often it is enqueued, even concurrently', TEST, async () => {
    const q = queue();
    const runs: string[] = [];
    const markers = new Set<string>();
    q.process<{ marker?: boolean }>('dedupe', async (data, ctx) => {
      if (data.marker) markers.add(ctx.id);
      else runs.push(ctx.id);
      return 'done';
    });
    await q.start();

    assert.equal((await q.enqueue('dedupe', { v: 1 }, { jobId: 'once' })).created, true);
    await waitFor('first run', () => runs.length === 1);
    assert.deepEqual(await q.enqueue('dedupe', { v: 2 }, { jobId: 'once' }), { id: 'once', created: false });

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => q.enqueue('dedupe', { v: i }, { jobId: 'race:1' })),
    );
    assert.equal(results.filter((r) => r.created).length, 1);
    assert.ok(results.every((r) => r.id === 'race:1'));
    await drain(q, 'dedupe', markers);
    assert.deepEqual(runs.sort(), ['once', 'race:1']);
  });

  it('never runs more handlers of a name at once than its concurrency', TEST, async () => {
    const q = queue();
    let active = 0;
    let peak = 0;
    let finished = 0;
    q.process(
      'limited',
      async () => {
        peak = Math.max(peak, ++active);
        await sleep(40);
        active--;
        finished++;
        return 'done';
      },
      { concurrency: 3 },
    );
    await Promise.all(Array.from({ length: 10 }, () => q.enqueue('limited', {})));
    await q.start();
    await waitFor('all ten jobs', () => finished === 10);
    assert.equal(peak, 3);
  });

  it('stop() waits for a job in flight', TEST, async () => {
    const q = queue();
    const release = gate();
    const running = gate();
    let finished = false;
    q.process('slow', async () => {
      running.open();
      await release.wait;
      await sleep(20);
      finished = true;
      return 'done';
    });
    await q.start();
    await q.enqueue('slow', {});
    await running.wait;
    let stopped = false;
    const stopping = q.stop().then(() => (stopped = true));
    await sleep(100);
    assert.equal(stopped, false, 'stop() returned while a job was running');
    release.open();
    await stopping;
    assert.equal(finished, true);
  });
}

describe('memory job queue', () => {
  contract((retry) => createMemoryQueue({ retry, logger }));
});

for (const target of redisTargets()) describe(`bullmq job queue (${target.name})`, { skip: skipWithoutRedis() }, () => {
  const newRedis = () => newTargetRedis(target);
  const prefix = uniquePrefix('jobs');
  after(async () => {
    const redis = newRedis();
    try {
      await cleanupRedis(redis, prefix);
    } finally {
      await redis.quit();
    }
  });

  contract((retry) => createBullQueue({ connect: newRedis, prefix, retry, logger }));

  it('keeps every key under its prefix', TEST, async () => {
    // A namespace no other run uses, so keys found by it are this queue's.
    const queueName = `prefixed${randomBytes(6).toString('hex')}`;
    const q = createBullQueue({ connect: newRedis, prefix, retry: FAST, logger, queueName });
    const redis = newRedis();
    try {
      await q.enqueue('job', { x: 1 });
      const keys: string[] = [];
      // On every node of a cluster (a SCAN cursor belongs to one node).
      await scanKeys(redis, `*${queueName}*`, async (batch) => void keys.push(...batch));
      assert.ok(keys.length > 0);
      assert.ok(keys.every((key) => key.startsWith(prefix)), keys.join(', '));
    } finally {
      await q.stop();
      await redis.quit();
    }
  });
});
