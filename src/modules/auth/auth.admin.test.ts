import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from '../../../test/support/suite.js';
import {
  ADMIN_EMAIL,
  ADMIN_ENV,
  ADMIN_PASSWORD,
  call,
  codesFor,
  eventually,
  login,
  NO_AUTH_LIMITS,
  otpFor,
  PASSWORD,
  refreshWith,
  refusedWith,
  register,
  secretKeys,
  signUp,
  sqlRows,
  type Called,
  type Tokens,
} from '../../../test/support/auth.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';

/** SPEC §3 admin routes end to end: the real app over HTTP, real PostgreSQL and Redis. */

const hex = () => randomBytes(4).toString('hex');
const fresh = (label: string) => `${label}-${hex()}@example.org`;
const UNKNOWN_ID = '01890000-0000-7000-8000-000000000000';

function expectError(r: Called, status: number, code: string, what = ''): void {
  assert.deepEqual([r.status, r.code], [status, code], `${what} ${JSON.stringify(r.body)}`);
}

interface OutboxRow {
  type: string;
  payload: Record<string, unknown>;
}

describe('auth admin routes over HTTP', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: TestEvently['evently']['app'];
  let admin: Tokens;
  let adminId: string;
  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => sqlRows<T>(t.database.url, text, params);
  const as = (method: string, url: string, body?: unknown) => call(app, method, url, { token: admin.access_token, body });
  const users = '/api/v1/admin/users';

  /** An admin-created user (fast: no mail round trip), verified unless said otherwise. */
  async function createUser(o: { email?: string; username?: string; full_name?: string; role?: 'user' | 'admin'; is_verified?: boolean } = {}): Promise<Called> {
    const email = o.email ?? fresh('user');
    const r = await as('POST', users, {
      email,
      username: o.username ?? `u_${hex()}`,
      password: PASSWORD,
      is_verified: o.is_verified ?? true,
      ...(o.full_name ? { full_name: o.full_name } : {}),
      ...(o.role ? { role: o.role } : {}),
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r;
  }

  before(async () => {
    t = await startTestEvently({ redis: true, env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    app = t.evently.app;
    admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    adminId = (await call(app, 'GET', '/api/v1/auth/me', { token: admin.access_token })).body.id;
  });
  after(() => t?.close());

  describe('POST /api/v1/admin/users', () => {
    it('creates a verified admin: it signs in at once and no code is sent', async () => {
      const id = hex();
      const r = await as('POST', users, { email: ` Boss-${id}@Example.ORG`, username: `Boss_${id}`, full_name: 'The Boss', password: PASSWORD, role: 'admin', is_verified: true });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(
        [r.body.email, r.body.username, r.body.full_name, r.body.role, r.body.is_verified, r.body.is_active],
        [`boss-${id}@example.org`, `boss_${id}`, 'The Boss', 'admin', true, true],
      );
      assert.doesNotMatch(JSON.stringify(r.body), /password|argon2/i);
      const boss = await login(app, `boss-${id}@example.org`);
      assert.equal((await call(app, 'GET', users, { token: boss.access_token })).status, 200);
      const codes = await q("select 1 from auth.outbox where type = 'auth.otp.requested' and payload->>'user_id' = $1", [r.body.id]);
      assert.equal(codes.length, 0, 'no verification code for a verified account');
    });

    it('creates an unverified user: a verification code is mailed and sign-in waits for it', async () => {
      const email = fresh('pending');
      const r = await as('POST', users, { email, username: `p_${hex()}`, password: PASSWORD });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual([r.body.role, r.body.is_verified], ['user', false]);
      const otp = await otpFor(app, email, { subject: /verification/ });
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 403, 'EMAIL_NOT_VERIFIED');
      assert.equal((await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password: PASSWORD } })).status, 200);
      await login(app, email);
    });

    it('refuses duplicates (409), weak passwords and unknown fields (400), non-admins (403) and anonymous callers (401)', async () => {
      const existing = await createUser();
      const { email, username } = existing.body as { email: string; username: string };
      expectError(await as('POST', users, { email: email.toUpperCase(), username: `x_${hex()}`, password: PASSWORD }), 409, 'EMAIL_TAKEN', 'duplicate email');
      expectError(await as('POST', users, { email: fresh('dup'), username: username.toUpperCase(), password: PASSWORD }), 409, 'USERNAME_TAKEN', 'duplicate username');
      expectError(await as('POST', users, { email: fresh('weak'), username: `w_${hex()}`, password: 'weakpassword1' }), 400, 'VALIDATION_FAILED', 'weak password');
      expectError(await as('POST', users, { email: fresh('extra'), username: `e_${hex()}`, password: PASSWORD, is_active: false }), 400, 'VALIDATION_FAILED', 'unknown field');
      expectError(await as('POST', users, { email: fresh('role'), username: `r_${hex()}`, password: PASSWORD, role: 'root' }), 400, 'VALIDATION_FAILED', 'unknown role');
      const user = await login(app, email);
      expectError(await call(app, 'POST', users, { token: user.access_token, body: { email: fresh('x'), username: `x_${hex()}`, password: PASSWORD } }), 403, 'FORBIDDEN', 'a user');
      expectError(await call(app, 'POST', users, { body: { email: fresh('x'), username: `x_${hex()}`, password: PASSWORD } }), 401, 'UNAUTHENTICATED', 'anonymous');
    });
  });

  describe('GET /api/v1/admin/users', () => {
    it('paginates newest first with a total, searches email, username and name, filters role and is_active', async () => {
      const tag = `tg${hex()}`;
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const r = await createUser({ email: `em${tag}${i}@example.org`, username: `un${tag}${i}`, full_name: `Nm${tag} Person ${i}`, role: i <= 2 ? 'admin' : 'user' });
        ids.push(r.body.id);
      }
      const newestFirst = [...ids].reverse();
      const list = async (query: string) => {
        const r = await as('GET', `${users}?${query}`);
        assert.equal(r.status, 200, `${query}: ${JSON.stringify(r.body)}`);
        assert.deepEqual(secretKeys(r.body), [], 'no hash in a listing');
        assert.doesNotMatch(JSON.stringify(r.body), /argon2/);
        return r.body as { items: { id: string }[]; total: number; page: number; page_size: number };
      };

      const pages = [];
      for (const page of [1, 2, 3]) pages.push(await list(`search=em${tag}&page=${page}&page_size=2`));
      assert.deepEqual(pages.map((p) => [p.total, p.page, p.page_size, p.items.length]), [[5, 1, 2, 2], [5, 2, 2, 2], [5, 3, 2, 1]]);
      assert.deepEqual(pages.flatMap((p) => p.items.map((u) => u.id)), newestFirst);
      const beyond = await list(`search=em${tag}&page=9&page_size=2`);
      assert.deepEqual([beyond.total, beyond.items.length], [5, 0], 'past the end: no items, the total still told');
      const defaults = await list(`search=em${tag}`);
      assert.deepEqual([defaults.page, defaults.page_size, defaults.total], [1, 20, 5]);

      const ofSearch = async (search: string) => (await list(`search=${encodeURIComponent(search)}`)).items.map((u) => u.id).sort();
      assert.deepEqual(await ofSearch(`UN${tag}`), [...ids].sort(), 'username, case-insensitive');
      assert.deepEqual(await ofSearch(`nm${tag} person`), [...ids].sort(), 'full name');
      assert.deepEqual(await ofSearch(`${tag}3@example`), [ids[2]], 'part of one email');
      assert.deepEqual(await ofSearch('%'), [], 'LIKE wildcards are matched literally');
      assert.deepEqual(await ofSearch(`un${tag}_`), [], '_ too');

      assert.deepEqual((await list(`search=${tag}&role=admin`)).items.map((u) => u.id).sort(), ids.slice(0, 2).sort());
      assert.equal((await list(`search=${tag}&role=user`)).total, 3);
      assert.equal((await as('POST', `${users}/${ids[4]}/deactivate`)).status, 200);
      assert.deepEqual((await list(`search=${tag}&is_active=false`)).items.map((u) => u.id), [ids[4]]);
      assert.equal((await list(`search=${tag}&is_active=true`)).total, 4);
      assert.equal((await list(`search=${tag}&is_active=true&role=user`)).total, 2);
      assert.equal((await list(`search=${tag}&is_verified=true`)).total, 5);
      assert.equal((await list(`search=${tag}&is_verified=false`)).total, 0);
    });

    it('bounds the page: page_size 101, page 0 and unknown parameters → 400', async () => {
      for (const query of ['page_size=101', 'page=0', 'page_size=0', 'page=x', 'role=root', 'sort=email', 'search=']) {
        expectError(await as('GET', `${users}?${query}`), 400, 'VALIDATION_FAILED', query);
      }
      assert.equal((await as('GET', `${users}?page_size=100`)).status, 200);
    });
  });

  describe('one user', () => {
    it('unknown id → 404 NOT_FOUND and a malformed id → 400 on every route', async () => {
      const routes: [string, string, unknown?][] = [
        ['GET', ''], ['PUT', '', { full_name: 'x' }], ['DELETE', ''], ['POST', '/deactivate'], ['POST', '/activate'], ['GET', '/sessions'], ['DELETE', '/sessions'],
      ];
      for (const [method, suffix, body] of routes) {
        expectError(await as(method, `${users}/${UNKNOWN_ID}${suffix}`, body), 404, 'NOT_FOUND', `${method} unknown${suffix}`);
        expectError(await as(method, `${users}/not-a-uuid${suffix}`, body), 400, 'VALIDATION_FAILED', `${method} malformed${suffix}`);
      }
    });

    it('GET shows the user; PUT normalises the email and refuses a taken one (409) and unknown fields', async () => {
      const u = await createUser({ full_name: 'Edit Me' });
      const other = await createUser();
      const got = await as('GET', `${users}/${u.body.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, u.body);

      const id = hex();
      const put = await as('PUT', `${users}/${u.body.id}`, { email: `  Moved-${id}@Example.ORG `, username: `Moved_${id}`, full_name: 'Moved Person', is_verified: true });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual([put.body.email, put.body.username, put.body.full_name, put.body.is_verified], [`moved-${id}@example.org`, `moved_${id}`, 'Moved Person', true]);
      await login(app, `moved-${id}@example.org`);
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email: u.body.email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS', 'the old email');

      expectError(await as('PUT', `${users}/${u.body.id}`, { email: other.body.email.toUpperCase() }), 409, 'EMAIL_TAKEN', 'taken email');
      expectError(await as('PUT', `${users}/${u.body.id}`, { username: other.body.username }), 409, 'USERNAME_TAKEN', 'taken username');
      expectError(await as('PUT', `${users}/${u.body.id}`, { email: 'no-at-sign' }), 400, 'VALIDATION_FAILED', 'bad email');
      for (const body of [{}, { is_active: false }, { password: PASSWORD }, { password_hash: 'x' }]) {
        expectError(await as('PUT', `${users}/${u.body.id}`, body), 400, 'VALIDATION_FAILED', JSON.stringify(body));
      }
      assert.equal((await as('GET', `${users}/${u.body.id}`)).body.email, `moved-${id}@example.org`, 'the refused changes did not apply');
    });

    it('an admin cannot delete, deactivate or change the role of their own account', async () => {
      expectError(await as('DELETE', `${users}/${adminId}`), 403, 'CANNOT_TARGET_SELF', 'delete self');
      expectError(await as('POST', `${users}/${adminId}/deactivate`), 403, 'CANNOT_TARGET_SELF', 'deactivate self');
      expectError(await as('PUT', `${users}/${adminId}`, { role: 'user' }), 403, 'CANNOT_TARGET_SELF', 'demote self');
      assert.equal((await call(app, 'GET', users, { token: admin.access_token })).status, 200, 'still an admin');
    });

    it('DELETE → 204: the user is gone, their tokens are refused and they cannot sign in', async () => {
      const email = fresh('deleted');
      const u = await signUp(app, email);
      const del = await as('DELETE', `${users}/${u.user_id}`);
      assert.equal(del.status, 204, JSON.stringify(del.body));
      expectError(await as('GET', `${users}/${u.user_id}`), 404, 'NOT_FOUND', 'after delete');
      expectError(await as('DELETE', `${users}/${u.user_id}`), 404, 'NOT_FOUND', 'second delete');
      await refusedWith(app, u.access_token, 'TOKEN_REVOKED');
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS', 'login after delete');
      expectError(await refreshWith(app, u.refresh_token), 401, 'TOKEN_INVALID', 'refresh after delete (the session is gone)');
      // The address is free again: it can be registered and verified anew.
      assert.equal((await register(app, email)).status, 202);
      const [otp] = await eventually(async () => {
        const codes = await codesFor(app, email, /verification/i);
        return codes.length >= 2 ? codes : undefined; // the first one verified the deleted account
      }, 'the new code');
      assert.equal((await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password: PASSWORD } })).status, 200);
      assert.equal((await q('select 1 from auth.users where email = $1', [email])).length, 1);
    });
  });

  describe('activation', () => {
    it('deactivate ends the sessions and refuses sign-in (403 after a right password only); activate lets the user back', async () => {
      const email = fresh('inactive');
      const first = await signUp(app, email);
      const second = await login(app, email);

      const off = await as('POST', `${users}/${first.user_id}/deactivate`);
      assert.equal(off.status, 200, JSON.stringify(off.body));
      assert.equal(off.body.is_active, false);
      for (const s of [first, second]) {
        await refusedWith(app, s.access_token, 'TOKEN_REVOKED');
        expectError(await refreshWith(app, s.refresh_token), 401, 'TOKEN_REVOKED', 'refresh of a deactivated user');
      }
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 403, 'ACCOUNT_DISABLED', 'right password');
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: 'Wr0ng-password' } }), 401, 'INVALID_CREDENTIALS', 'wrong password');
      assert.equal((await as('POST', `${users}/${first.user_id}/deactivate`)).status, 200, 'deactivating twice is fine');

      const on = await as('POST', `${users}/${first.user_id}/activate`);
      assert.equal(on.status, 200);
      assert.equal(on.body.is_active, true);
      const back = await login(app, email);
      assert.equal((await call(app, 'GET', '/api/v1/auth/me', { token: back.access_token })).status, 200);
      expectError(await refreshWith(app, second.refresh_token), 401, 'TOKEN_REVOKED', 'old sessions stay ended');
    });
  });

  describe('sessions', () => {
    it("lists a user's sessions without token material; DELETE ends them all with a count", async () => {
      const email = fresh('admsess');
      const first = await signUp(app, email);
      const second = await login(app, email);
      const listed = await as('GET', `${users}/${first.user_id}/sessions`);
      assert.equal(listed.status, 200);
      const items = listed.body.items as { id: string; current: boolean }[];
      assert.deepEqual(items.map((s) => s.id).sort(), [first.session_id, second.session_id].sort());
      assert.ok(items.every((s) => s.current === false), "none is the admin's");
      assert.deepEqual(secretKeys(listed.body), []);
      for (const secret of [first.refresh_token, second.refresh_token]) assert.ok(!JSON.stringify(listed.body).includes(secret));

      const ended = await as('DELETE', `${users}/${first.user_id}/sessions`);
      assert.deepEqual([ended.status, ended.body], [200, { count: 2 }]);
      for (const s of [first, second]) {
        await refusedWith(app, s.access_token, 'TOKEN_REVOKED');
        expectError(await refreshWith(app, s.refresh_token), 401, 'TOKEN_REVOKED');
      }
      assert.deepEqual((await as('GET', `${users}/${first.user_id}/sessions`)).body.items, []);
      assert.deepEqual((await as('DELETE', `${users}/${first.user_id}/sessions`)).body, { count: 0 });
      await login(app, email); // the account itself is fine
      expectError(await call(app, 'GET', `${users}/${first.user_id}/sessions`, { token: second.access_token }), 401, 'TOKEN_REVOKED');
    });

    it('cleanup deletes sessions that ended long ago, keeps live and recently ended ones', async () => {
      const email = fresh('cleanup');
      const live = await signUp(app, email);
      const oldRevoked = await login(app, email);
      const recentRevoked = await login(app, email);
      const oldExpired = await login(app, email);
      for (const s of [oldRevoked, recentRevoked]) {
        assert.equal((await call(app, 'POST', '/api/v1/auth/logout', { token: s.access_token })).status, 204);
      }
      // Time travel: sessions end days after their last use, and cleanup waits one access-token
      // lifetime after the end; only SQL can move them that far into the past.
      await q("update auth.sessions set revoked_at = now() - interval '2 days' where id = $1", [oldRevoked.session_id]);
      await q("update auth.sessions set expires_at = now() - interval '2 days', created_at = now() - interval '40 days' where id = $1", [oldExpired.session_id]);

      const r = await as('POST', '/api/v1/admin/sessions/cleanup');
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body).sort(), ['otps', 'sessions']);
      assert.ok(Number.isInteger(r.body.sessions) && r.body.sessions >= 2, JSON.stringify(r.body));
      assert.ok(Number.isInteger(r.body.otps) && r.body.otps >= 1, `the used verification code goes: ${JSON.stringify(r.body)}`);

      const left = await q<{ id: string }>('select id from auth.sessions where user_id = $1', [live.user_id]);
      assert.deepEqual(left.map((s) => s.id).sort(), [live.session_id, recentRevoked.session_id].sort());
      const refs = await q('select 1 from auth.refresh_tokens where session_id = any($1::uuid[])', [[oldRevoked.session_id, oldExpired.session_id]]);
      assert.equal(refs.length, 0, 'their refresh tokens went with them');
      const rotated = await refreshWith(app, live.refresh_token);
      assert.equal(rotated.status, 200, 'the live session still works');

      const again = await as('POST', '/api/v1/admin/sessions/cleanup');
      assert.deepEqual([again.status, again.body.sessions], [200, 0], 'nothing left to delete');
      expectError(await call(app, 'POST', '/api/v1/admin/sessions/cleanup', { token: live.access_token }), 403, 'FORBIDDEN');
    });
  });

  describe('events', () => {
    it('register, verify, update, deactivate, delete: the outbox holds each fact, and never a password hash', async () => {
      const email = fresh('events');
      const reg = await register(app, email, { full_name: 'Eve Events' });
      assert.equal(reg.status, 202);
      // The pending registration's id is the account's to be.
      const [{ id: userId, username }] = (await q<{ id: string; username: string }>('select id, username from auth.registrations where email = $1', [email])) as [{ id: string; username: string }];
      const otp = await otpFor(app, email);
      assert.equal((await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password: PASSWORD } })).status, 200);
      const s1 = await login(app, email);
      const s2 = await login(app, email);
      const newName = `ev_${hex()}`;
      // The username is given but unchanged in case: only full_name changed.
      assert.equal((await call(app, 'PUT', '/api/v1/auth/me', { token: s1.access_token, body: { full_name: 'Eve Renamed', username: username.toUpperCase() } })).status, 200);
      assert.equal((await as('PUT', `${users}/${userId}`, { username: newName, full_name: 'Eve Renamed' })).status, 200);
      assert.equal((await as('POST', `${users}/${userId}/deactivate`)).status, 200);
      assert.equal((await as('POST', `${users}/${userId}/activate`)).status, 200);
      const s3 = await login(app, email);
      assert.equal((await as('DELETE', `${users}/${userId}`)).status, 204);

      const rows = await q<OutboxRow>("select type, payload from auth.outbox where payload->>'user_id' = $1 order by occurred_at, seq", [userId]);
      const types = rows.map((r) => r.type);
      assert.deepEqual(types, [
        'auth.otp.requested', // the registration, pending
        'auth.user.registered', // the code proved the address: the account is made...
        'auth.user.verified', // ...and verified, in one transaction
        'auth.user.updated', // PUT /me: full_name
        'auth.user.updated', // admin PUT: username
        'auth.user.updated', // deactivate
        'auth.session.revoked',
        'auth.session.revoked',
        'auth.user.updated', // activate
        'auth.session.revoked', // delete ends the live session first
        'auth.user.deleted',
      ]);
      const [requested, registered, verified, renamed, reUsernamed, deactivated, , , activated, , deleted] = rows.map((r) => r.payload);
      // Each user event carries the whole user after the change and the row's version: newer wins.
      const state = { user_id: userId, email, username, full_name: 'Eve Events', role: 'user', is_active: true, is_verified: false };
      assert.deepEqual(registered, { ...state, entity_version: 1 });
      assert.deepEqual(Object.keys(requested!).sort(), ['email', 'entity_version', 'expires_at', 'otp_sealed', 'purpose', 'user_id']);
      assert.deepEqual([requested!.email, requested!.purpose, requested!.entity_version], [email, 'verify_email', 1]);
      assert.deepEqual(verified, { ...state, is_verified: true, entity_version: 2 });
      assert.deepEqual(renamed, { ...state, is_verified: true, full_name: 'Eve Renamed', changed: ['full_name'], entity_version: 3 });
      assert.deepEqual(reUsernamed, { ...state, is_verified: true, full_name: 'Eve Renamed', username: newName, changed: ['username'], entity_version: 4 });
      assert.deepEqual(deactivated, { ...state, is_verified: true, full_name: 'Eve Renamed', username: newName, is_active: false, changed: ['is_active'], entity_version: 5 });
      assert.deepEqual(activated, { ...state, is_verified: true, full_name: 'Eve Renamed', username: newName, is_active: true, changed: ['is_active'], entity_version: 6 });
      assert.deepEqual(deleted, { user_id: userId, entity_version: 7 });

      const revoked = rows.filter((r) => r.type === 'auth.session.revoked').map((r) => r.payload);
      assert.deepEqual(
        revoked.map((p) => `${p.session_id} ${p.reason}`).sort(),
        [`${s1.session_id} user_deactivated`, `${s2.session_id} user_deactivated`, `${s3.session_id} user_deleted`].sort(),
      );
      for (const p of revoked) assert.deepEqual(Object.keys(p).sort(), ['entity_version', 'reason', 'session_id', 'user_id']);
      for (const p of revoked) assert.equal(p.user_id, userId);

      // Nothing in any payload of the outbox, from any test of this file, carries a password hash.
      const leaks = await q("select type from auth.outbox where payload::text ilike '%password_hash%' or payload::text like '%$argon2%'");
      assert.deepEqual(leaks, []);
    });

    it('a password change, a reset and a role change announce the ended sessions, not the hash', async () => {
      const email = fresh('pwevents');
      const a = await signUp(app, email);
      const b = await login(app, email);
      assert.equal((await call(app, 'POST', '/api/v1/auth/change-password', { token: a.access_token, body: { current_password: PASSWORD, new_password: 'Chang3d-password' } })).status, 204);
      // A PUT that changes nothing announces nothing and ends nothing.
      assert.equal((await as('PUT', `${users}/${a.user_id}`, { role: 'user' })).status, 200);
      assert.equal((await call(app, 'GET', '/api/v1/auth/me', { token: a.access_token })).status, 200);
      assert.equal((await as('PUT', `${users}/${a.user_id}`, { role: 'admin' })).status, 200);
      const c = await login(app, email, 'Chang3d-password');
      assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } })).status, 202);
      const code = await otpFor(app, email, { subject: /^Reset your Evently password$/ });
      assert.equal((await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp: code, new_password: 'Res3t-password' } })).status, 204);
      const rows = await q<OutboxRow>(
        "select type, payload from auth.outbox where payload->>'user_id' = $1 and type not in ('auth.user.registered', 'auth.otp.requested', 'auth.user.verified') order by occurred_at, seq",
        [a.user_id],
      );
      assert.deepEqual(rows.map((r) => [r.type, r.payload.session_id ?? r.payload.role ?? null, r.payload.reason ?? null]), [
        ['auth.session.revoked', b.session_id, 'password_changed'],
        ['auth.user.updated', 'admin', null],
        ['auth.session.revoked', a.session_id, 'role_changed'],
        ['auth.password_reset.requested', null, null],
        ['auth.session.revoked', c.session_id, 'password_reset'],
      ]);
      assert.deepEqual(Object.keys(rows[3]!.payload).sort(), ['email', 'entity_version', 'expires_at', 'otp_sealed', 'user_id']);
      const leaks = await q("select type from auth.outbox where payload::text ilike '%password_hash%' or payload::text like '%$argon2%'");
      assert.deepEqual(leaks, []);
    });
  });

  describe('OpenAPI', () => {
    it('GET /docs/json lists every SPEC §3 auth and admin path', async () => {
      const r = await call(app, 'GET', '/docs/json');
      assert.equal(r.status, 200);
      const paths = r.body.paths as Record<string, Record<string, { security?: unknown[] }>>;
      const expected: Record<string, string[]> = {
        '/api/v1/auth/register': ['post'],
        '/api/v1/auth/verify-email': ['post'],
        '/api/v1/auth/resend-otp': ['post'],
        '/api/v1/auth/login': ['post'],
        '/api/v1/auth/refresh': ['post'],
        '/api/v1/auth/logout': ['post'],
        '/api/v1/auth/me': ['get', 'put'],
        '/api/v1/auth/change-password': ['post'],
        '/api/v1/auth/forgot-password': ['post'],
        '/api/v1/auth/reset-password': ['post'],
        '/api/v1/auth/sessions': ['get'],
        '/api/v1/auth/sessions/{id}': ['delete'],
        '/api/v1/admin/users': ['get', 'post'],
        '/api/v1/admin/users/{id}': ['delete', 'get', 'put'],
        '/api/v1/admin/users/{id}/deactivate': ['post'],
        '/api/v1/admin/users/{id}/activate': ['post'],
        '/api/v1/admin/users/{id}/sessions': ['delete', 'get'],
        '/api/v1/admin/sessions/cleanup': ['post'],
        '/.well-known/jwks.json': ['get'],
      };
      for (const [path, methods] of Object.entries(expected)) {
        assert.ok(paths[path], `${path} is documented`);
        assert.deepEqual(Object.keys(paths[path]).filter((m) => m !== 'parameters').sort(), methods, path);
        if (path.startsWith('/api/v1/admin/')) {
          for (const m of methods) assert.ok(paths[path][m]!.security?.length, `${m} ${path} declares bearer auth`);
        }
      }
    });
  });
});
