/**
 * The web app's own process in split mode when the modules it forwards to do not answer: pages
 * still render (signed out for the moment, the session's cookies kept for when auth is back), and
 * API calls through it get a 503 envelope with Retry-After, never a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { freePort } from '../../../test/support/process.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';

describe('web process whose modules are down', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  before(async () => {
    // A port nothing listens on, for every module.
    const dead = `http://127.0.0.1:${await freePort()}`;
    t = await startTestEvently({
      redis: true,
      env: { EVENTLY_MODULES: 'web', WEB_UPSTREAMS: ['auth', 'events', 'bookings', 'analytics', 'notifications'].map((m) => `${m}=${dead}`).join(',') },
    });
  }, { timeout: 60_000 });
  after(() => t?.close());

  it('pages render signed out and keep the session cookies; forwarded API calls answer 503 with Retry-After', async () => {
    const cookie = 'evently_at=stale.access.token; evently_rt=some-refresh-token';
    for (const url of ['/', '/login', '/events/01a22e52-9eb2-7d50-b1bd-2f241dac87d4', '/bookings']) {
      const res = await t.evently.app.inject({ method: 'GET', url, headers: { cookie, accept: 'text/html' } });
      assert.ok(res.statusCode < 500 || res.statusCode === 503, `${url}: ${res.statusCode}`);
      if (url === '/bookings') assert.equal(res.headers.location, '/login?next=%2Fbookings', 'signed out for now: to the sign-in page');
      else assert.match(String(res.headers['content-type']), /text\/html/, `${url}: a page`);
      const cleared = ([] as string[]).concat(res.headers['set-cookie'] ?? []).filter((c) => /^evently_(at|rt)=;/.test(c));
      assert.deepEqual(cleared, [], `${url}: the session's cookies are kept while auth does not answer`);
    }
    const api = await t.evently.app.inject({ method: 'GET', url: '/api/v1/events?q=100%25' });
    assert.equal(api.statusCode, 503);
    assert.equal(api.json().error.code, 'SERVICE_UNAVAILABLE');
    assert.ok(api.headers['retry-after']);
    for (const url of ['/api/v1/events/%2e%2e/%2e%2e/analytics/overview', '/api/v1/events/x/..%2F..%2Fanalytics']) {
      const dots = await t.evently.app.inject({ method: 'GET', url });
      assert.ok(dots.statusCode >= 400 && dots.statusCode < 500, `${url}: dot segments are not forwarded (${dots.statusCode})`);
    }
  });
});
