import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { InjectOptions } from 'fastify';
import { Type } from 'typebox';
import { AppError, StrictObject, errorResponses, type ModuleDefinition } from '../../src/kernel/index.js';
import { ALL_MODULES } from '../../src/modules/index.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';

/** A stand-in module slot with routes that exercise the server factory's contract. */
const probe: ModuleDefinition = {
  ...ALL_MODULES.auth,
  create: () => ({ routes(app) {
    app.post('/api/v1/probe/echo', {
      schema: {
        body: StrictObject({ name: Type.String({ minLength: 1 }), count: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Object({ name: Type.String(), count: Type.Integer() }), ...errorResponses(400) },
      },
    }, async (request) => request.body);
    app.get('/api/v1/probe/conflict', async () => {
      throw new AppError('CONFLICT', 'already there', { details: [{ field: 'body.x', message: 'taken' }] });
    });
    app.get('/api/v1/probe/crash', async () => {
      throw new Error('select * from secret_table failed at /src/x.ts:12');
    });
  } }),
};

describe('HTTP platform', () => {
  let t: TestEvently;
  before(async () => {
    t = await startTestEvently({ modules: { auth: probe }, env: { CORS_ORIGINS: 'https://app.example.com', BODY_LIMIT_BYTES: '2048' } });
  });
  after(() => t?.close());
  const inject = (opts: InjectOptions) => t.evently.app.inject(opts);

  it('serves liveness, readiness with real checks, and info', async () => {
    const live = await inject({ method: 'GET', url: '/health' });
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'ok' });
    const ready = await inject({ method: 'GET', url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { database: { status: 'up' } } });
    const info = await inject({ method: 'GET', url: '/info' });
    assert.equal(info.json().mode, 'all-in-one');
    assert.deepEqual(info.json().modules, ['auth', 'events', 'bookings', 'analytics', 'notifications']);
  });

  it('gives every response a request id, keeping a well-formed upstream one', async () => {
    const fresh = await inject({ method: 'GET', url: '/health' });
    assert.match(String(fresh.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    const kept = await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'upstream-1234' } });
    assert.equal(kept.headers['x-request-id'], 'upstream-1234');
    const bad = await inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'x\u0000y' } });
    assert.notEqual(bad.headers['x-request-id'], 'x\u0000y');
  });

  it('rejects unknown fields and bad values with 400 VALIDATION_FAILED naming the field', async () => {
    const res = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { name: 'a', count: 1, admin: true } });
    assert.equal(res.statusCode, 400);
    const body = res.json();
    assert.equal(body.error.code, 'VALIDATION_FAILED');
    assert.equal(body.error.request_id, res.headers['x-request-id']);
    assert.deepEqual(body.error.details, [{ field: 'body.admin', message: 'unknown field' }]);
    const bad = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { name: '', count: 0 } });
    assert.deepEqual(bad.json().error.details.map((d: { field: string }) => d.field).sort(), ['body.count', 'body.name']);
    const ok = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { name: 'a', count: 2 } });
    assert.deepEqual(ok.json(), { name: 'a', count: 2 });
  });

  it('answers malformed JSON, wrong media type and oversized bodies with 4xx envelopes', async () => {
    const malformed = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: '{"name":', headers: { 'content-type': 'application/json' } });
    assert.equal(malformed.statusCode, 400);
    assert.equal(malformed.json().error.code, 'BAD_REQUEST');
    const text = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: 'hi', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const big = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { name: 'x'.repeat(4096), count: 1 } });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('maps AppError to its status and hides internals of unexpected errors', async () => {
    const conflict = await inject({ method: 'GET', url: '/api/v1/probe/conflict' });
    assert.equal(conflict.statusCode, 409);
    assert.deepEqual(conflict.json().error.details, [{ field: 'body.x', message: 'taken' }]);
    const crash = await inject({ method: 'GET', url: '/api/v1/probe/crash' });
    assert.equal(crash.statusCode, 500);
    assert.deepEqual(Object.keys(crash.json().error).sort(), ['code', 'message', 'request_id']);
    assert.equal(crash.json().error.code, 'INTERNAL');
    assert.doesNotMatch(crash.body, /secret_table|\.ts:|stack/);
  });

  it('answers unknown routes with a 404 envelope', async () => {
    const res = await inject({ method: 'GET', url: '/api/v1/nowhere?x=1' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'NOT_FOUND');
  });

  it('allows CORS preflight from listed origins only', async () => {
    const ok = await inject({
      method: 'OPTIONS',
      url: '/api/v1/probe/echo',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });
    assert.equal(ok.statusCode, 204);
    assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
    assert.match(String(ok.headers['access-control-allow-methods']), /POST/);
    assert.match(String(ok.headers['access-control-allow-headers']), /Authorization/i);
    const denied = await inject({
      method: 'OPTIONS',
      url: '/api/v1/probe/echo',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(denied.headers['access-control-allow-origin'], undefined);
  });

  it('sends security headers', async () => {
    const res = await inject({ method: 'GET', url: '/health' });
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.ok(res.headers['strict-transport-security']);
  });

  it('publishes a valid OpenAPI 3 document and the docs UI', async () => {
    const doc = await inject({ method: 'GET', url: '/docs/json' });
    assert.equal(doc.statusCode, 200);
    const api = doc.json();
    assert.match(api.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(api));
    assert.ok(api.paths['/health/ready'] && api.paths['/api/v1/probe/echo']);
    const ui = await inject({ method: 'GET', url: '/docs' });
    assert.ok([200, 302].includes(ui.statusCode));
  });

  it('exports Prometheus request counts and latency per route template', async () => {
    await inject({ method: 'GET', url: '/api/v1/probe/conflict' });
    const res = await inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /http_requests_total\{[^}]*method="GET"[^}]*route="\/api\/v1\/probe\/conflict"[^}]*status_code="409"[^}]*\} \d+/);
    assert.match(res.body, /http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/probe\/conflict"/);
    assert.match(res.body, /process_resident_memory_bytes/);
  });
});
