import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEvently, type TestEvently } from '../support/evently.js';

/** Where /metrics is served, over real HTTP: the API port (default), a port of its own, or nowhere. */
describe('/metrics exposure', () => {
  const get = async (url: string) => {
    const res = await fetch(url);
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const notFound = (res: { status: number; text: string }) => {
    assert.equal(res.status, 404, res.text);
    assert.equal(JSON.parse(res.text).error.code, 'NOT_FOUND');
  };

  describe('by default', () => {
    let t: TestEvently;
    before(async () => {
      t = await startTestEvently({ listen: true });
    });
    after(() => t?.close());

    it('is served on the API port and linked from the API index', async () => {
      const metrics = await get(`${t.evently.url}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.text, /process_resident_memory_bytes/);
      assert.equal(t.evently.metricsUrl, undefined);
      const index = JSON.parse((await get(`${t.evently.url}/api/v1`)).text);
      assert.equal(index.links.metrics, '/metrics');
    });
  });

  describe('METRICS_PORT: a listener of its own', () => {
    let t: TestEvently;
    before(async () => {
      t = await startTestEvently({ listen: true, env: { METRICS_PORT: '0' } });
    });
    after(() => t?.close());

    it('serves /metrics on its own port only, counting the API port\'s requests', async () => {
      notFound(await get(`${t.evently.url}/metrics`));
      assert.ok(t.evently.metricsUrl, 'the metrics listener has an address');
      assert.notEqual(new URL(t.evently.metricsUrl).port, new URL(t.evently.url!).port);
      assert.equal((await get(`${t.evently.url}/health`)).status, 200);
      const metrics = await get(`${t.evently.metricsUrl}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(metrics.type, /^text\/plain/);
      assert.match(metrics.text, /http_requests_total\{[^}]*route="\/health"[^}]*status_code="200"[^}]*\} [1-9]/);
      assert.match(metrics.text, /evently_db_pool_connections\{[^}]*state="total"/);
      // Nothing else lives there.
      notFound(await get(`${t.evently.metricsUrl}/health`));
      notFound(await get(`${t.evently.metricsUrl}/docs`));
    });

    it('leaves /metrics out of the API index and the OpenAPI document of the API port', async () => {
      const index = JSON.parse((await get(`${t.evently.url}/api/v1`)).text);
      assert.equal(index.links.metrics, undefined);
      const doc = JSON.parse((await get(`${t.evently.url}/docs/json`)).text);
      assert.equal(doc.paths['/metrics'], undefined);
    });
  });

  describe('EVENTLY_METRICS=false (with EVENTLY_DOCS=false: nothing but the API and health)', () => {
    let t: TestEvently;
    before(async () => {
      t = await startTestEvently({ listen: true, env: { EVENTLY_METRICS: 'false', EVENTLY_DOCS: 'false' } });
    });
    after(() => t?.close());

    it('serves no /metrics and no /docs anywhere', async () => {
      notFound(await get(`${t.evently.url}/metrics`));
      notFound(await get(`${t.evently.url}/docs`));
      notFound(await get(`${t.evently.url}/docs/json`));
      assert.equal(t.evently.metricsUrl, undefined);
      const index = JSON.parse((await get(`${t.evently.url}/api/v1`)).text);
      assert.deepEqual(Object.keys(index.links).sort(), ['health', 'info', 'ready']);
      assert.equal((await get(`${t.evently.url}/health/ready`)).status, 200);
    });
  });
});
