import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeJobId, encodeJobId } from './bullmq.queue.js';
import { backoffDelay } from './policy.js';

describe('backoffDelay', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('doubles the ceiling per failure and draws from its upper half', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0)), [50, 100, 200, 400]);
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1)), [100, 200, 400, 800]);
  });

  it('is capped at maxDelayMs, even for huge attempt numbers', () => {
    assert.equal(backoffDelay(5, policy, () => 1), 1000);
    assert.equal(backoffDelay(5000, policy, () => 1), 1000);
    assert.equal(backoffDelay(5000, policy, () => 0), 500);
  });

  it('jitters: random draws give different delays within the bounds', () => {
    const delays = Array.from({ length: 200 }, () => backoffDelay(3, policy));
    assert.ok(delays.every((d) => d >= 200 && d <= 400));
    assert.ok(new Set(delays).size > 10);
  });
});

describe('BullMQ job id mapping', () => {
  it('removes what BullMQ refuses and round-trips', () => {
    for (const id of ['booking:42', '42', '-7', '%3A', 'a%b:c', 'plain-id', '0x1', 'ünï:cødé']) {
      const encoded = encodeJobId(id);
      assert.ok(!encoded.includes(':'), encoded);
      assert.notEqual(`${parseInt(encoded, 10)}`, encoded);
      assert.equal(decodeJobId(encoded), id);
    }
    assert.equal(encodeJobId('plain-id'), 'plain-id');
  });
});
