import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorCodeTable } from '../../src/kernel/index.js';
import { ALL_MODULES } from '../../src/modules/index.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, login, signUp, type Tokens } from '../support/auth.js';
import { rawRequest, type RawAnswer } from './raw-http.js';
import {
  CONTENT_TYPES,
  EDGE_BODY,
  EDGE_JSON,
  EDGE_PATH,
  EDGE_QUERY,
  badAuthorization,
  brokenBodyText,
  brokenObject,
  hostileJson,
  pathValue,
  plausible,
  queryValue,
  toJsonText,
  type Known,
  type Schema,
} from './fuzz-inputs.js';

/**
 * Every operation in the app's own OpenAPI document, called anonymously, as a user and as an admin,
 * with plausible requests and broken ones, over real HTTP (raw bytes on a socket, so the server's
 * HTTP parser sees exactly what a hostile client could send). No answer may be a 5xx; every 4xx is
 * the error envelope; every answer has the security headers and a request id; the app is still
 * ready afterwards. An operation a module adds later is fuzzed by being in the document.
 *
 * FUZZ_SEED=<n> repeats a run (the seed is printed); FUZZ_RUNS=<n> sets requests per operation
 * and identity.
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const RUNS = Number(process.env.FUZZ_RUNS ?? 20);

const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** Every code the platform and the modules may answer, with its status. */
const CODES = errorCodeTable(Object.values(ALL_MODULES).map((m) => m.errors ?? {}));
const SECURITY_HEADERS = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options', 'referrer-policy'];
/** Headers a client may send that the server must take in its stride (or refuse in the envelope). */
const ODD_HEADERS: [string, string][][] = [
  [['x-request-id', 'x'.repeat(300)]],
  [['x-request-id', '../\u00ff\u00fe']],
  [['accept', 'application/xml']],
  [['accept', '*/*;q=0, text/html;q=bad']],
  [['accept-encoding', 'gzip, deflate, br, zstd']],
  [['origin', 'https://evil.example']],
  [['x-forwarded-for', 'not-an-ip, 999.1.1.1']],
  [['if-none-match', '*']],
  [['range', 'bytes=0-0']],
  [['expect', 'something-else']],
  [['content-encoding', 'gzip']],
  [['transfer-encoding', 'chunked']], // with a content-length: a framing conflict the parser must refuse
  [['x-big', 'a'.repeat(20_000)]], // past Node's 16 KiB header limit
  [['x-nul', 'a\u0000b']],
  Array.from({ length: 150 }, (_, i): [string, string] => [`x-h${i}`, 'v'.repeat(100)]),
];
const OTHER_METHODS = ['HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'DELETE'];
/** Appended to the path as raw bytes: the request line itself turns malformed. */
const PATH_SUFFIXES = ['%', '\u0000', ' x', '#frag', '?', '//', '/..', '\u00ff'];

type Identity = 'anonymous' | 'user' | 'admin';
interface Operation {
  method: string;
  path: string;
  op: Schema;
}
interface Body {
  text: string | Buffer;
  type: string;
}
/** A request before it is put on the wire; query values are already encoded. */
interface Parts {
  method: string;
  path: string;
  query: [string, string][];
  body: Body | undefined;
  authorization: string | undefined;
  extra: [string, string][];
}
interface Sent {
  method: string;
  target: string;
  headers: [string, string][];
  body: Buffer | undefined;
}

describe(`API fuzz (FUZZ_SEED=${SEED} repeats this run)`, () => {
  let t: TestEvently;
  let port: number;
  let operations: Operation[];
  const known: Known = { ids: [], emails: [ADMIN_EMAIL] };
  const tokens: Partial<Record<Identity, Tokens>> = {};
  let users = 0;
  const statuses = new Map<number, number>();

  before(async () => {
    console.log(`# fuzz seed ${SEED} (FUZZ_SEED=${SEED} repeats this run), ${RUNS} requests per operation and identity`);
    // Rate limits off: otherwise plausible requests would stop at 429 before the code behind them.
    t = await startTestEvently({ listen: true, redis: 'when-available', env: { ...ADMIN_ENV, ...NO_AUTH_LIMITS } });
    port = Number(new URL(t.evently.url!).port);
    const doc = await t.evently.app.inject({ method: 'GET', url: '/docs/json' });
    assert.equal(doc.statusCode, 200);
    operations = Object.entries(doc.json().paths as Record<string, Schema>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ method: m.toUpperCase(), path, op: item[m] as Schema })),
    );
  });
  after(() => t?.close());

  /** Signed-in user and admin for the next operation: an earlier one may have ended a session or deleted the user. */
  async function ensureIdentities(): Promise<void> {
    const me = async (token: string | undefined) => (token ? call(t.evently.app, 'GET', '/api/v1/auth/me', { token }) : undefined);
    const admin = await me(tokens.admin?.access_token);
    if (admin?.status !== 200) tokens.admin = await login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD);
    const user = await me(tokens.user?.access_token);
    if (user?.status !== 200 || user.body.role !== 'user') {
      const email = `fuzz-user-${++users}@example.org`;
      const created = await signUp(t.evently.app, email);
      tokens.user = created;
      known.ids.push(created.user_id, created.session_id);
      known.emails.push(email);
    }
  }

  it('answers every operation without a 5xx, with the envelope and the security headers', async (ctx) => {
    assert.ok(operations.length > 25, `only ${operations.length} operations in the document`);
    for (const operation of operations) {
      for (const identity of ['anonymous', 'user', 'admin'] as const) {
        await ctx.test(`${operation.method} ${operation.path} as ${identity}`, async () => {
          await ensureIdentities();
          const token = identity === 'anonymous' ? undefined : tokens[identity]!.access_token;
          // The edge cases once per operation, as the caller who gets furthest into it.
          const deepest: Identity = operation.op.security?.length ? 'admin' : 'anonymous';
          const examples = identity === deepest ? edgeCases(operation, token).map((e): [Sent] => [e]) : [];
          await fc.assert(
            fc.asyncProperty(requestFor(operation, token), async (request) => {
              const res = await rawRequest(port, wire(request));
              if (res) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
              check(request, res);
            }),
            { seed: SEED, numRuns: RUNS + examples.length, examples },
          );
        });
      }
    }
    const seen = [...statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
    console.log(`# fuzz: ${operations.length} operations; answers ${seen.join(' ')}`);
  });

  it('is still ready afterwards', async () => {
    const res = await rawRequest(port, `GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(res?.status, 200, res?.body);
  });

  function shape(operation: Operation) {
    const parameters = (operation.op.parameters ?? []) as Schema[];
    return {
      pathParams: parameters.filter((p) => p.in === 'path'),
      queryParams: parameters.filter((p) => p.in === 'query'),
      bodySchema: operation.op.requestBody?.content?.['application/json']?.schema as Schema | undefined,
      fill: (values: string[]) => {
        let i = 0;
        return operation.path.replace(/\{[^}]+\}/g, () => values[i++]!);
      },
    };
  }

  /** Random requests: each part plausible or broken, independently. */
  function requestFor(operation: Operation, token: string | undefined): fc.Arbitrary<Sent> {
    const { pathParams, queryParams, bodySchema, fill } = shape(operation);
    const path = fc
      .tuple(
        fc.tuple(...pathParams.map((p) => pathValue(p.schema as Schema, known))),
        fc.oneof({ weight: 9, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom(...PATH_SUFFIXES) }),
      )
      .map(([values, suffix]) => fill(values) + suffix);

    const plausibleQuery = fc.tuple(
      ...queryParams.map((p) =>
        fc.option(queryValue(p.schema as Schema, known), { nil: undefined, freq: p.required ? 1_000 : 2 }).map((v) => (v === undefined ? [] : [[p.name as string, v]])),
      ),
    ).map((pairs) => pairs.flat() as [string, string][]);
    const query = fc.oneof(
      { weight: 3, arbitrary: plausibleQuery },
      {
        weight: 1,
        arbitrary: fc
          .tuple(plausibleQuery, fc.constantFrom('unknown', '__proto__', 'constructor[prototype]', 'a[b]', '', ...queryParams.map((p) => p.name as string)), queryValue(undefined, known))
          .map(([pairs, k, v]) => [...pairs, [encodeURIComponent(k), v]] as [string, string][]),
      },
    );

    const body: fc.Arbitrary<Body | undefined> = bodySchema
      ? fc.oneof(
          { weight: 3, arbitrary: plausible(bodySchema, known).map(json) },
          { weight: 3, arbitrary: brokenObject(bodySchema, known).map(json) },
          { weight: 1, arbitrary: hostileJson().map(json) },
          { weight: 1, arbitrary: brokenBodyText().map((text) => ({ text, type: 'application/json' })) },
          { weight: 1, arbitrary: fc.tuple(plausible(bodySchema, known), fc.constantFrom(...CONTENT_TYPES)).map(([v, type]) => ({ text: toJsonText(v), type })) },
          { weight: 1, arbitrary: fc.constant(undefined) },
        )
      : fc.oneof(
          { weight: 4, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: hostileJson().map(json) },
          { weight: 1, arbitrary: brokenBodyText().map((text) => ({ text, type: 'application/json' })) },
        );

    const authorization = token
      ? fc.oneof({ weight: 4, arbitrary: fc.constant(`Bearer ${token}`) }, { weight: 1, arbitrary: badAuthorization(token) })
      : fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: badAuthorization(undefined) });
    const extra = fc.oneof({ weight: 5, arbitrary: fc.constant([] as [string, string][]) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_HEADERS) });
    const method = fc.oneof({ weight: 19, arbitrary: fc.constant(operation.method) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) });

    return fc.record({ method, path, query, body, authorization, extra }).map(assemble);
  }

  /** One plausible request, then each edge value in each slot of it, one slot at a time. */
  function edgeCases(operation: Operation, token: string | undefined): Sent[] {
    const { pathParams, queryParams, bodySchema, fill } = shape(operation);
    const one = <T>(arb: fc.Arbitrary<T>): T => fc.sample(arb, { seed: SEED, numRuns: 1 })[0]!;
    const pathValues = pathParams.map((p) => encodeURIComponent(String(one(plausible(p.schema as Schema, known)))));
    const baseQuery = queryParams.filter((p) => p.required).map((p): [string, string] => [p.name, encodeURIComponent(String(one(plausible(p.schema as Schema, known))))]);
    const baseBody = bodySchema ? (one(plausible(bodySchema, known)) as Record<string, unknown>) : undefined;
    const base: Parts = {
      method: operation.method,
      path: fill(pathValues),
      query: baseQuery,
      body: baseBody === undefined ? undefined : json(baseBody),
      authorization: token && `Bearer ${token}`,
      extra: [],
    };
    const cases: Parts[] = [base];
    pathParams.forEach((_p, i) => EDGE_PATH.forEach((v) => cases.push({ ...base, path: fill(pathValues.map((x, j) => (j === i ? v : x))) })));
    for (const p of queryParams) {
      for (const v of EDGE_QUERY) cases.push({ ...base, query: [...base.query.filter(([k]) => k !== p.name), [p.name as string, v]] });
    }
    for (const field of Object.keys(bodySchema?.properties ?? {})) {
      for (const v of EDGE_JSON) cases.push({ ...base, body: json({ ...baseBody, [field]: v }) });
    }
    if (bodySchema) {
      for (const text of EDGE_BODY) cases.push({ ...base, body: { text, type: 'application/json' } });
      for (const type of CONTENT_TYPES) cases.push({ ...base, body: { text: toJsonText(baseBody), type } });
    }
    for (const extra of ODD_HEADERS) cases.push({ ...base, extra });
    for (const suffix of PATH_SUFFIXES) cases.push({ ...base, path: base.path + suffix });
    return cases.map(assemble);
  }

  function assemble(r: Parts): Sent {
    const headers: [string, string][] = [['host', `127.0.0.1:${port}`], ['connection', 'close']];
    if (r.authorization !== undefined) headers.push(['authorization', r.authorization]);
    const bytes = r.body === undefined ? undefined : Buffer.isBuffer(r.body.text) ? r.body.text : Buffer.from(r.body.text, 'utf8');
    if (r.body !== undefined && bytes !== undefined) {
      if (r.body.type) headers.push(['content-type', r.body.type]);
      headers.push(['content-length', String(bytes.length)]);
    }
    headers.push(...r.extra);
    const query = r.query.map(([k, v]) => `${k}=${v}`).join('&');
    return described({ method: r.method, target: query ? `${r.path}?${query}` : r.path, headers, body: bytes });
  }
});

const json = (value: unknown): Body => ({ text: toJsonText(value), type: 'application/json' });

/** The request as bytes on the wire. */
function wire(s: Sent): Buffer {
  const head = `${s.method} ${s.target} HTTP/1.1\r\n${s.headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
  return s.body ? Buffer.concat([Buffer.from(head, 'utf8'), s.body]) : Buffer.from(head, 'utf8');
}

/** fast-check prints a failing request with this: readable, and short even when the request is not. */
function described(s: Sent): Sent {
  const cut = (x: string) => (x.length > 300 ? `${x.slice(0, 300)}…(${x.length} chars)` : x);
  return Object.assign(s, {
    [fc.toStringMethod]: () =>
      JSON.stringify({ request: cut(`${s.method} ${s.target}`), headers: s.headers.map(([k, v]) => `${k}: ${cut(v)}`), body: s.body && cut(s.body.toString('utf8')) }),
  });
}

function check(s: Sent, res: RawAnswer | undefined): void {
  const what = `${s.method} ${s.target.slice(0, 200)}`;
  assert.ok(res, `${what}: the connection closed without an answer`);
  assert.ok(res.status < 500, `${what}: ${res.status} ${res.body.slice(0, 500)}`);
  for (const h of SECURITY_HEADERS) assert.ok(res.headers[h], `${what}: ${res.status} without ${h}`);
  const requestId = res.headers['x-request-id'];
  assert.ok(requestId, `${what}: ${res.status} without x-request-id`);
  if (res.status < 400) return;
  assert.match(res.headers['content-type'] ?? '', /^application\/json/, `${what}: ${res.status} is not JSON`);
  if (s.method === 'HEAD') return; // no body to read
  let body: { error?: Record<string, unknown> };
  try {
    body = JSON.parse(res.body) as typeof body;
  } catch {
    assert.fail(`${what}: ${res.status} body is not JSON: ${res.body.slice(0, 300)}`);
  }
  const e = body.error;
  assert.deepEqual(Object.keys(body), ['error'], `${what}: ${res.body.slice(0, 300)}`);
  assert.ok(e && typeof e.code === 'string' && e.code in CODES, `${what}: unknown code in ${res.body.slice(0, 300)}`);
  assert.equal(CODES[e.code], res.status, `${what}: ${e.code} with status ${res.status}`);
  assert.equal(typeof e.message, 'string', what);
  assert.equal(e.request_id, requestId, `${what}: request_id differs from x-request-id`);
  assert.doesNotMatch(res.body, /node_modules|\.ts:\d+|\.js:\d+|\bat [\w.<>]+ \(/, `${what}: internals in ${res.body.slice(0, 300)}`);
}
