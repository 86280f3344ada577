/**
 * Invalidation after a seat change, when the cache fails: a seat change writes no message of its own
 * (no consumer will invalidate again), so the module retries in the background, without holding up
 * the consumer that applied the seats. The cache is a stand-in here: the retry is what is tested.
 */
import assert from 'node:assert/strict';
import { describe, it } from '../../../test/support/suite.js';
import { createLogger } from '../../kernel/index.js';
import type { CatalogueCache } from './catalogue.cache.js';
import { invalidateQuietly, type EventsDeps } from './events.deps.js';

function depsWithFailingCache(failures: number) {
  const calls: number[] = [];
  const cache: CatalogueCache = {
    detail: async () => null,
    capacity: async () => null,
    list: async (_key, load) => load(),
    invalidate: async () => undefined,
    async seatsMoved() {
      calls.push(Date.now());
      if (calls.length <= failures) throw new Error('Connection is closed.');
    },
  };
  const deps = { cache, config: { detailTtlMs: 60_000 }, logger: createLogger({ level: 'silent', service: 'test' }) } as unknown as EventsDeps;
  return { deps, calls };
}

describe('events cache invalidation after a seat change', () => {
  it('is retried in the background until it succeeds, and the caller is not held up', async () => {
    const { deps, calls } = depsWithFailingCache(2);
    const started = Date.now();
    await invalidateQuietly(deps, ['e1'], 'seats');
    assert.equal(calls.length, 1, 'the first attempt failed and returned at once');
    assert.ok(Date.now() - started < 100);
    const deadline = Date.now() + 3_000;
    while (calls.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(calls.length, 3, 'retried until it succeeded');
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(calls.length, 3, 'and no more after that');
  });

  it('an event change is not retried here: its message reaches the module\'s own consumer', async () => {
    const { deps } = depsWithFailingCache(0);
    let invalidations = 0;
    deps.cache.invalidate = async () => {
      invalidations++;
      throw new Error('Connection is closed.');
    };
    await invalidateQuietly(deps, ['e1']);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(invalidations, 1);
  });
});
