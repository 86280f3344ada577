import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type pg from 'pg';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, type Called, type Tokens } from '../support/auth.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';

/**
 * Overload answers 503 with a stable code and Retry-After, never 500: a pool with no free
 * connection (DATABASE_POOL_TIMEOUT_MS), a lock held past DATABASE_LOCK_TIMEOUT_MS. Real requests
 * through the real app on a deliberately small pool.
 */
describe('overload is 503, never 500', () => {
  let t: TestEvently;
  let admin: Tokens;
  before(async () => {
    t = await startTestEvently({
      env: { ...ADMIN_ENV, ...NO_AUTH_LIMITS, DATABASE_POOL_MAX: '2', DATABASE_POOL_TIMEOUT_MS: '50', DATABASE_LOCK_TIMEOUT_MS: '200' },
    });
    // The pool of 2 is shared with the start's own work (the first sweeps, the relay): a login that
    // meets it busy is refused as overloaded, which is this suite's point but not its setup's.
    admin = await eventually(() => login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD).catch(() => undefined), 'the admin signed in');
  });
  after(() => t?.close());

  const listUsers = () => call(t.evently.app, 'GET', '/api/v1/admin/users?page_size=5', { token: admin.access_token });
  const assertOverloaded = (r: Called) => {
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal((r.body.error as { code: string }).code, 'OVERLOADED');
    assert.equal(r.headers['retry-after'], '1');
  };

  /** A pooled connection for the test; the app's background work may be using the pool too, so try again. */
  const grab = async (): Promise<pg.PoolClient> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await t.evently.database.pool.connect();
      } catch (err) {
        if (attempt > 100) throw err;
      }
    }
  };

  it('with every pooled connection taken, requests answer 503 OVERLOADED with Retry-After, then 200 once they are free', async () => {
    const held: pg.PoolClient[] = [await grab(), await grab()];
    try {
      const answers = await Promise.all(Array.from({ length: 20 }, listUsers));
      for (const r of answers) assertOverloaded(r);
    } finally {
      for (const c of held) c.release();
    }
    assert.equal((await listUsers()).status, 200);
  });

  it('200 parallel requests on a pool of 2 see only 2xx and 503', async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, listUsers));
    const statuses = new Map<number, number>();
    for (const r of answers) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    assert.deepEqual([...statuses.keys()].filter((s) => s !== 200 && s !== 503), [], `statuses: ${JSON.stringify([...statuses])}`);
    for (const r of answers.filter((a) => a.status === 503)) assertOverloaded(r);
    assert.ok((statuses.get(200) ?? 0) > 0, 'some get through');
  });

  it('a row lock held past DATABASE_LOCK_TIMEOUT_MS answers 503 OVERLOADED, and the row is untouched', async () => {
    const holder = await grab();
    try {
      await holder.query('begin');
      await holder.query('select 1 from auth.users where email = $1 for update', [ADMIN_EMAIL]);
      const r = await call(t.evently.app, 'PUT', '/api/v1/auth/me', { token: admin.access_token, body: { full_name: 'Blocked' } });
      assertOverloaded(r);
    } finally {
      await holder.query('rollback');
      holder.release();
    }
    const me = await call(t.evently.app, 'GET', '/api/v1/auth/me', { token: admin.access_token });
    assert.notEqual((me.body as { full_name: string | null }).full_name, 'Blocked');
  });
});
