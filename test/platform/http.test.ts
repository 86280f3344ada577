import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { InjectOptions } from 'fastify';
import { Type } from 'typebox';
import { AppError, StrictObject, errorResponses, type ModuleDefinition } from '../../src/kernel/index.js';
import { ALL_MODULES } from '../../src/modules/index.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import net from 'node:net';
import { rawRequest, parse, type RawAnswer } from '../api/raw-http.js';
import { eventually } from '../support/auth.js';

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
    app.get('/api/v1/probe/items/:id', {
      schema: {
        params: StrictObject({ id: Type.String() }),
        querystring: StrictObject({ limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) }),
        response: { 200: Type.Object({ id: Type.String(), limit: Type.Integer() }) },
      },
    }, async (request) => ({ id: request.params.id, limit: request.query.limit }));
  } }),
};

describe('HTTP platform', () => {
  let t: TestEvently;
  before(async () => {
    t = await startTestEvently({ listen: true, modules: { auth: probe }, env: { CORS_ORIGINS: 'https://app.example.com', BODY_LIMIT_BYTES: '2048' } });
  });
  after(() => t?.close());
  const inject = (opts: InjectOptions) => t.evently.app.inject(opts);
  /** Exactly these bytes on a fresh connection: for what Node's HTTP parser decides. */
  const raw = async (request: string): Promise<RawAnswer> => {
    const res = await rawRequest(Number(new URL(t.evently.url!).port), request);
    assert.ok(res, 'the server closed the connection without answering');
    return res;
  };
  /** The envelope with this code, the security headers and the request id, whatever refused the request. */
  const assertRefused = (res: { status: number; headers: Record<string, unknown>; body: string }, status: number, code: string) => {
    assert.equal(res.status, status, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.error.code, code);
    assert.equal(body.error.request_id, res.headers['x-request-id']);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.ok(res.body.length < 300, 'the answer does not echo the request');
  };
  const fromInject = (res: Awaited<ReturnType<typeof inject>>) => ({ status: res.statusCode, headers: res.headers, body: res.body });

  it('serves liveness, readiness with real checks, and info', async () => {
    const live = await inject({ method: 'GET', url: '/health' });
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'ok' });
    const ready = await inject({ method: 'GET', url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', checks: { database: { status: 'up' } } });
    const info = await inject({ method: 'GET', url: '/info' });
    assert.equal(info.json().mode, 'all-in-one');
    assert.deepEqual(info.json().modules, ['auth', 'events', 'bookings', 'analytics', 'notifications', 'web']);
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

  it('refuses numbers that overflow to Infinity (ajv coerces "1e309" and skips the limits)', async () => {
    const res = await inject({ method: 'GET', url: '/api/v1/probe/items/a?limit=1e309' });
    assertRefused(fromInject(res), 400, 'VALIDATION_FAILED');
    assert.deepEqual(res.json().error.details, [{ field: 'querystring.limit', message: 'must be a finite number' }]);
    const negative = await inject({ method: 'GET', url: '/api/v1/probe/items/a?limit=-1e309' });
    assert.equal(negative.statusCode, 400);
    // In a body, JSON.parse itself makes 1e309 Infinity (bodies are not coerced: "1e309" is no number).
    const body = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: '{"name":"a","count":1e309}', headers: { 'content-type': 'application/json' } });
    assertRefused(fromInject(body), 400, 'VALIDATION_FAILED');
    assert.deepEqual(body.json().error.details.map((d: { field: string }) => d.field), ['body.count']);
    assert.equal((await inject({ method: 'GET', url: '/api/v1/probe/items/a?limit=1e1' })).json().limit, 10);
  });

  it('takes a JSON body as typed: no coercion of numbers, booleans, arrays or null into strings or numbers', async () => {
    const echo = (payload: unknown) => inject({ method: 'POST', url: '/api/v1/probe/echo', payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
    // Each of these was coerced into a valid body before (ajv's coerceTypes: 'array' for every part).
    for (const [payload, field, message] of [
      [{ name: 12345, count: 1 }, 'body.name', 'must be string'],
      [{ name: ['a'], count: 1 }, 'body.name', 'must be string'],
      [{ name: true, count: 1 }, 'body.name', 'must be string'],
      [{ name: null, count: 1 }, 'body.name', 'must be string'],
      [{ name: 'a', count: '2' }, 'body.count', 'must be integer'],
      [{ name: 'a', count: [2] }, 'body.count', 'must be integer'],
      [{ name: 'a', count: true }, 'body.count', 'must be integer'],
    ] as const) {
      const res = await echo(payload);
      assertRefused(fromInject(res), 400, 'VALIDATION_FAILED');
      assert.deepEqual(res.json().error.details, [{ field, message }], JSON.stringify(payload));
    }
    assert.deepEqual((await echo({ name: 'a', count: 2 })).json(), { name: 'a', count: 2 });
    // The query string and path parameters are text: they are still coerced to the schema's types.
    const query = await inject({ method: 'GET', url: '/api/v1/probe/items/42?limit=7' });
    assert.deepEqual(query.json(), { id: '42', limit: 7 });
    const bad = await inject({ method: 'GET', url: '/api/v1/probe/items/42?limit=seven' });
    assert.deepEqual(bad.json().error.details, [{ field: 'querystring.limit', message: 'must be integer' }]);
  });

  it('refuses strings that are not well-formed Unicode (a lone surrogate has no UTF-8 form)', async () => {
    const res = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: '{"name":"a\\ud800b","count":1}', headers: { 'content-type': 'application/json' } });
    assertRefused(fromInject(res), 400, 'VALIDATION_FAILED');
    assert.deepEqual(res.json().error.details, [{ field: 'body.name', message: 'must be well-formed Unicode (no lone surrogates)' }]);
    const paired = await inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { name: 'a\u{1F600}b', count: 1 } });
    assert.equal(paired.json().name, 'a\u{1F600}b');
  });

  it('answers what the router refuses in the envelope: a malformed URL, an over-long path parameter', async () => {
    assertRefused(fromInject(await inject({ method: 'GET', url: '/api/v1/probe/items/a%' })), 400, 'BAD_REQUEST');
    assertRefused(fromInject(await inject({ method: 'GET', url: `/api/v1/probe/items/${'a'.repeat(5_000)}` })), 400, 'BAD_REQUEST');
    // Over real HTTP too, where the bytes pass Node's parser first.
    assertRefused(await raw('GET /api/v1/probe/items/%ED%A0%80 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 400, 'BAD_REQUEST');
  });

  it('answers what Node\'s HTTP parser refuses in the envelope: oversized headers, a broken request line', async () => {
    assertRefused(await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`), 400, 'BAD_REQUEST');
    assertRefused(await raw('GET /he alth HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 400, 'BAD_REQUEST');
    assertRefused(await raw('GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\nConnection: close\r\n\r\n'), 400, 'BAD_REQUEST');
  });

  it('answers in the envelope what Node would answer bare: no Host, CONNECT; ignores unknown expectations', async () => {
    assertRefused(await raw('GET /health HTTP/1.1\r\nConnection: close\r\n\r\n'), 400, 'BAD_REQUEST');
    assert.equal((await raw('GET /health HTTP/1.0\r\n\r\n')).status, 200, 'HTTP/1.0 needs no Host');
    assertRefused(await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'), 404, 'NOT_FOUND');
    // RFC 9110 §10.1.1 lets a server ignore an expectation it does not know (Node answered a bare 417).
    assert.equal((await raw('GET /health HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nConnection: close\r\n\r\n')).status, 200);
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

  it('has a CSP that lets /docs work over plain HTTP: no upgrade-insecure-requests, the rest kept', async () => {
    // Over http://192.168.x.y:3000 a browser obeying upgrade-insecure-requests fetched /docs' scripts
    // and styles over https, which nothing served: a blank page.
    for (const url of ['/docs', '/docs/static/index.html', '/health']) {
      const csp = String((await inject({ method: 'GET', url })).headers['content-security-policy']);
      assert.doesNotMatch(csp, /upgrade-insecure-requests/, url);
      const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values.join(' ')]));
      assert.deepEqual(directives, {
        'default-src': "'self'",
        'script-src': "'self'",
        'style-src': "'self' 'unsafe-inline'",
        'img-src': "'self' data:",
        'frame-ancestors': "'none'",
        'base-uri': "'self'",
        'font-src': "'self' https: data:",
        'form-action': "'self'",
        'object-src': "'none'",
        'script-src-attr': "'none'",
      }, url);
    }
  });

  it('publishes a valid OpenAPI 3 document and the docs UI', async () => {
    const doc = await inject({ method: 'GET', url: '/docs/json' });
    assert.equal(doc.statusCode, 200);
    const api = doc.json();
    assert.match(api.openapi, /^3\./);
    await SwaggerParser.validate(structuredClone(api));
    assert.ok(api.paths['/health/ready'] && api.paths['/api/v1/probe/echo']);
    // The server documents the envelope for every error status a route does not list itself.
    const responses = api.paths['/api/v1/probe/echo'].post.responses;
    assert.deepEqual(Object.keys(responses).sort(), ['200', '400', '4XX', '5XX']);
    assert.deepEqual(responses['4XX'].content['application/json'].schema, { $ref: '#/components/schemas/ErrorEnvelope' });
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

describe('HTTP platform while shutting down', () => {
  it('turns away requests that arrive during shutdown with a 503 envelope, Retry-After and Connection: close', async () => {
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated: ModuleDefinition = {
      ...ALL_MODULES.auth,
      create: () => ({ routes(app) {
        app.get('/api/v1/probe/slow', async () => {
          entered();
          await gate;
          return { ok: true };
        });
      } }),
    };
    const t = await startTestEvently({ listen: true, modules: { auth: gated } });
    const port = Number(new URL(t.evently.url!).port);
    let stopping: Promise<void> | undefined;
    try {
      // A keep-alive connection busy with a request when the shutdown starts stays open for it;
      // the next request on it arrives while the server is closing.
      const socket = net.connect({ port, host: '127.0.0.1' });
      let received = Buffer.alloc(0);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('data', (chunk: Buffer) => {
        const first = !received.includes('"ok":true');
        received = Buffer.concat([received, chunk]);
        if (first && received.includes('"ok":true')) socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      });
      socket.write('GET /api/v1/probe/slow HTTP/1.1\r\nHost: x\r\n\r\n');
      await inHandler;
      stopping = t.evently.stop();
      // Once new connections are refused, the server is closing.
      await eventually(async () => {
        const refused = await new Promise<boolean>((resolve) => {
          const probe = net.connect({ port, host: '127.0.0.1' });
          probe.on('connect', () => (probe.destroy(), resolve(false)));
          probe.on('error', () => resolve(true));
        });
        return refused || undefined;
      }, 'the server to stop accepting connections');
      release();
      await closed;
      const second = parse(received.subarray(received.indexOf('HTTP/1.1', 1)));
      assert.equal(second.status, 503, second.body);
      assert.equal(JSON.parse(second.body).error.code, 'SERVICE_UNAVAILABLE');
      assert.equal(second.headers['retry-after'], '1');
      assert.equal(second.headers.connection, 'close');
      assert.equal(second.headers['x-content-type-options'], 'nosniff');
    } finally {
      release();
      await (stopping ?? t.evently.stop());
      await t.close();
    }
  });
});
