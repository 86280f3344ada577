import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { NO_AUTH_LIMITS, PASSWORD, sqlRows } from '../support/auth.js';

/**
 * JSON bodies are taken as typed, over real HTTP through the real auth routes: ajv used to coerce
 * every part of a request (`coerceTypes: 'array'`), so a number became a username and a one-item
 * array a password. Query strings stay coerced (they are text).
 */
describe('JSON bodies are not type-coerced', () => {
  let t: TestEvently;
  let url: string;
  before(async () => {
    t = await startTestEvently({ listen: true, env: NO_AUTH_LIMITS });
    url = t.evently.url!;
  });
  after(() => t?.close());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; details?: { field: string; message: string }[] } } };
  };

  it('a number is not a username: registration refused, nothing registered', async () => {
    const res = await post('/api/v1/auth/register', { email: 'numeric@example.org', username: 12345, password: PASSWORD });
    assert.equal(res.status, 400);
    assert.equal(res.body.error?.code, 'VALIDATION_FAILED');
    assert.deepEqual(res.body.error?.details, [{ field: 'body.username', message: 'must be string' }]);
    assert.deepEqual(await sqlRows(t.database.url, "select 1 from auth.registrations where email = 'numeric@example.org'"), []);
  });

  it('an array is not a password, nor a boolean an email: 400 naming the field, not a login attempt', async () => {
    const registered = await post('/api/v1/auth/register', { email: 'typed@example.org', username: 'typed', password: PASSWORD });
    assert.equal(registered.status, 202);
    const array = await post('/api/v1/auth/login', { email: 'typed@example.org', password: [PASSWORD] });
    assert.equal(array.status, 400);
    assert.deepEqual(array.body.error?.details, [{ field: 'body.password', message: 'must be string' }]);
    const bool = await post('/api/v1/auth/login', { email: true, password: PASSWORD });
    assert.equal(bool.status, 400);
    assert.deepEqual(bool.body.error?.details?.map((d) => d.field), ['body.email']);
    // A name that is a string or null is not a number (it used to become "42").
    const num = await post('/api/v1/auth/register', { email: 'num-name@example.org', username: 'numname', full_name: 42, password: PASSWORD });
    assert.equal(num.status, 400);
    assert.deepEqual([...new Set(num.body.error?.details?.map((d) => d.field))], ['body.full_name']);
  });

  it('the query string is still coerced: ?limit=5 is a number', async () => {
    const res = await fetch(`${url}/dev/mailbox?to=typed@example.org&limit=5`);
    assert.equal(res.status, 200);
    const bad = await fetch(`${url}/dev/mailbox?limit=five`);
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as { error: { details: unknown } }).error.details, [{ field: 'querystring.limit', message: 'must be integer' }]);
  });
});
