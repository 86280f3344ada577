import type { AuthConfig } from './auth.settings.js';
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
  jwtClaims,
  login,
  NEW_PASSWORD,
  NO_AUTH_LIMITS,
  otpFor,
  PASSWORD,
  refreshWith,
  refusedWith,
  register,
  secretKeys,
  signUp,
  sqlRows,
  withoutRequestId,
  wrongCode,
  type Called,
} from '../../../test/support/auth.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';

/**
 * SPEC §3 account routes end to end: the real app over HTTP, real PostgreSQL and Redis (so
 * revocations go through the shared Redis list, and codes through the outbox, the mail job and the
 * dev mailbox).
 */

const hex = () => randomBytes(4).toString('hex');
const fresh = (label: string) => `${label}-${hex()}@example.org`;
const USER_FIELDS = ['created_at', 'email', 'full_name', 'id', 'is_active', 'is_verified', 'role', 'updated_at', 'username'];

function expectError(r: Called, status: number, code: string, what = ''): void {
  assert.deepEqual([r.status, r.code], [status, code], `${what} ${JSON.stringify(r.body)}`);
}

/** A field named in a 400's details (schema errors say `body.x`, service checks say `x`). */
function namesField(r: Called, field: string): boolean {
  return (r.body?.error?.details ?? []).some((d: { field?: string }) => d.field === field || d.field === `body.${field}`);
}

/** A 6-digit code that is certainly not `code`. */

describe('auth accounts over HTTP', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: TestEvently['evently']['app'];
  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => sqlRows<T>(t.database.url, text, params);

  before(async () => {
    t = await startTestEvently({ redis: true, env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    app = t.evently.app;
  });
  after(() => t?.close());

  describe('register', () => {
    const userRow = async (email: string) => (await q<{ id: string }>('select id from auth.users where email = $1', [email]))[0];
    const pendingRow = async (email: string) =>
      (await q<{ email: string; username: string; full_name: string | null }>('select email, username, full_name from auth.registrations where email = $1', [email]))[0];

    it('normalises the email and lower-cases the username, and answers 202 without any account data', async () => {
      const id = hex();
      const r = await call(app, 'POST', '/api/v1/auth/register', {
        body: { email: `  Ann-${id}@Example.ORG `, username: `Ann_${id}`, full_name: 'Ann Example', password: PASSWORD },
      });
      assert.equal(r.status, 202, JSON.stringify(r.body));
      assert.deepEqual(Object.keys(r.body), ['message']);
      // A pending registration, normalised (the unique indexes rely on it); no account until verified.
      assert.deepEqual(await pendingRow(`ann-${id}@example.org`), { email: `ann-${id}@example.org`, username: `ann_${id}`, full_name: 'Ann Example' });
      assert.equal(await userRow(`ann-${id}@example.org`), undefined);

      const sameUsername = await register(app, fresh('ann2'), { username: `ANN_${id}` });
      expectError(sameUsername, 409, 'USERNAME_TAKEN', 'the same username in other case');
      assert.ok(namesField(sameUsername, 'username'));
    });

    it('refuses weak passwords (no digit, no upper case, 7 characters, a control character) with 400 naming the field', async () => {
      const email = fresh('weak');
      for (const password of ['no-digits-Here', 'no-upper-1234', 'Sh0rt-x', 'Tab\there-1A']) {
        const r = await register(app, email, { password });
        expectError(r, 400, 'VALIDATION_FAILED', password);
        assert.ok(namesField(r, 'password'), `${password}: ${JSON.stringify(r.body)}`);
      }
      // None of them registered anything.
      assert.equal(await pendingRow(email), undefined);
      assert.equal((await register(app, email)).status, 202);
      assert.ok(await pendingRow(email));
    });

    it('refuses unknown fields (no self-chosen role) and malformed input', async () => {
      const base = { email: fresh('unknown'), username: `u_${hex()}`, password: PASSWORD };
      for (const extra of [{ role: 'admin' }, { is_verified: true }]) {
        const r = await call(app, 'POST', '/api/v1/auth/register', { body: { ...base, ...extra } });
        expectError(r, 400, 'VALIDATION_FAILED', JSON.stringify(extra));
        assert.ok(namesField(r, Object.keys(extra)[0]!), JSON.stringify(r.body));
      }
      expectError(await register(app, 'not-an-email', { username: `u_${hex()}` }), 400, 'VALIDATION_FAILED', 'bad email');
      expectError(await register(app, fresh('badname'), { username: 'has space' }), 400, 'VALIDATION_FAILED', 'bad username');
      expectError(await call(app, 'POST', '/api/v1/auth/register', { body: { email: fresh('missing'), password: PASSWORD } }), 400, 'VALIDATION_FAILED', 'no username');
      // Nothing of that reached the database.
      assert.equal(await pendingRow(base.email), undefined);
    });

    it('20 parallel registrations of one email: all 202 alike, one pending registration; 10 of one username: one 202, the rest 409 USERNAME_TAKEN', async () => {
      const email = fresh('race');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => register(app, i % 2 ? email : email.toUpperCase(), { username: `race_${hex()}_${i}` })),
      );
      assert.deepEqual([...new Set(results.map((r) => `${r.status} ${JSON.stringify(r.body)}`))], [`202 ${JSON.stringify(results[0]!.body)}`]);
      const [n] = await q<{ n: number }>('select count(*)::int as n from auth.registrations where email = $1', [email]);
      assert.equal(n!.n, 1);

      const username = `race_${hex()}`;
      const sameName = await Promise.all(Array.from({ length: 10 }, (_, i) => register(app, fresh(`racename${i}`), { username: i % 2 ? username : username.toUpperCase() })));
      assert.equal(sameName.filter((r) => r.status === 202).length, 1, sameName.map((r) => `${r.status} ${r.code ?? ''}`).join(', '));
      for (const r of sameName.filter((x) => x.status !== 202)) expectError(r, 409, 'USERNAME_TAKEN');
    });
  });

  describe('verification codes', () => {
    const verify = (email: string, otp: string, password = PASSWORD) => call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password } });

    it('a used code is used up: verifying again answers like any wrong code (no probe for verified accounts)', async () => {
      const email = fresh('verify');
      await register(app, email);
      const otp = await otpFor(app, email);
      const first = await verify(email, otp);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const again = await verify(email.toUpperCase(), otp);
      const unknown = await verify(fresh('nobody'), otp);
      assert.deepEqual([again.status, again.code], [400, 'OTP_INVALID']);
      assert.deepEqual(withoutRequestId(again.body), withoutRequestId(unknown.body));
      // Verified once: a single auth.user.verified (a single welcome mail).
      const [user] = await q<{ id: string }>('select id from auth.users where email = $1', [email]);
      const events = await q("select 1 from auth.outbox where type = 'auth.user.verified' and payload->>'user_id' = $1", [user!.id]);
      assert.equal(events.length, 1);
      const me = await call(app, 'GET', '/api/v1/auth/me', { token: (await login(app, email)).access_token });
      assert.equal(me.body.is_verified, true);
    });

    it('the right code with a wrong password verifies nothing, and answers like a wrong code', async () => {
      const email = fresh('verifypw');
      await register(app, email);
      const otp = await otpFor(app, email);
      const wrongPassword = await verify(email, otp, 'N0t-the-password');
      const wrongOne = await verify(email, wrongCode(otp));
      assert.deepEqual(withoutRequestId(wrongPassword.body), withoutRequestId(wrongOne.body));
      expectError(wrongPassword, 400, 'OTP_INVALID');
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 403, 'EMAIL_NOT_VERIFIED', 'still unverified');
      assert.equal((await verify(email, otp)).status, 200);
    });

    it('resend-otp sends the live code again (never voids it); once its guesses are used up, a new one', async () => {
      const email = fresh('resend');
      await register(app, email);
      const code = await otpFor(app, email);
      const resend = () => call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email } });
      assert.equal((await resend()).status, 202);
      const mailed = await eventually(async () => {
        const codes = await codesFor(app, email, /verification code/i);
        return codes.length >= 2 ? codes : undefined;
      }, 'the second mail');
      assert.deepEqual(mailed, [code, code], 'the same code, mailed again');
      // Guesses with the right password spend the code; then resend mails a new one.
      for (let i = 0; i < 5; i++) expectError(await verify(email, wrongCode(code)), 400, 'OTP_INVALID', `guess ${i + 1}`);
      expectError(await verify(email, code), 400, 'OTP_INVALID', 'the used-up code');
      assert.equal((await resend()).status, 202);
      const replacement = await otpFor(app, email, { not: code });
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 403, 'EMAIL_NOT_VERIFIED', 'still unverified');
      assert.equal((await verify(email, replacement)).status, 200);
      await login(app, email);
    });

    it('resend-otp answers an unknown (or verified) email exactly like a known one', async () => {
      const known = fresh('known');
      await register(app, known);
      const verified = fresh('verified');
      await signUp(app, verified);
      const answers = await Promise.all([known, fresh('nobody'), verified].map((email) => call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email } })));
      for (const a of answers) assert.equal(a.status, 202);
      assert.deepEqual(answers[1]!.body, answers[0]!.body);
      assert.deepEqual(answers[2]!.body, answers[0]!.body);
      expectError(await call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email: known, extra: 1 } }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('passwords', () => {
    it('forgot-password → reset-password: new password works, old one and every session end', async () => {
      const email = fresh('reset');
      const first = await signUp(app, email);
      const second = await login(app, email);

      const forgot = await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } });
      assert.equal(forgot.status, 202);
      const unknown = await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email: fresh('nobody') } });
      assert.deepEqual([unknown.status, unknown.body], [202, forgot.body], 'no enumeration');

      // The reset mail has its own subject (mail.templates.ts), not the verification one.
      const code = await otpFor(app, email, { subject: /^Reset your Evently password$/ });
      const verifyCode = await otpFor(app, email, { subject: /^Your Evently verification code$/ });
      assert.notEqual(code, verifyCode);
      // Asking again (anyone may) re-sends the live code instead of voiding it.
      assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } })).status, 202);
      const resent = await eventually(async () => {
        const codes = await codesFor(app, email, /^Reset your Evently password$/);
        return codes.length >= 2 ? codes : undefined;
      }, 'the second reset mail');
      assert.deepEqual(resent, [code, code]);

      const wrong = await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp: wrongCode(code), new_password: NEW_PASSWORD } });
      expectError(wrong, 400, 'OTP_INVALID', 'wrong reset code');
      expectError(await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp: code, new_password: 'weakpassword' } }), 400, 'VALIDATION_FAILED', 'weak new password');
      const reset = await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp: code, new_password: NEW_PASSWORD } });
      assert.equal(reset.status, 204, JSON.stringify(reset.body));
      expectError(await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp: code, new_password: PASSWORD } }), 400, 'OTP_INVALID', 'the used code');

      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS', 'old password');
      await login(app, email, NEW_PASSWORD);
      for (const s of [first, second]) {
        await refusedWith(app, s.access_token, 'TOKEN_REVOKED');
        expectError(await refreshWith(app, s.refresh_token), 401, 'TOKEN_REVOKED', 'refresh of a session ended by the reset');
      }
    });

    it('change-password: wrong current → 400; success keeps the calling session and ends the others', async () => {
      const email = fresh('change');
      const caller = await signUp(app, email);
      const other = await login(app, email);
      const change = (body: object) => call(app, 'POST', '/api/v1/auth/change-password', { token: caller.access_token, body });

      const wrong = await change({ current_password: 'Wr0ng-password', new_password: NEW_PASSWORD });
      expectError(wrong, 400, 'INVALID_CURRENT_PASSWORD');
      assert.ok(namesField(wrong, 'current_password'));
      const weak = await change({ current_password: PASSWORD, new_password: 'alllowercase1' });
      expectError(weak, 400, 'VALIDATION_FAILED');
      assert.ok(namesField(weak, 'new_password'));
      // Nothing was revoked by the failed attempts.
      assert.equal((await call(app, 'GET', '/api/v1/auth/me', { token: other.access_token })).status, 200);

      assert.equal((await change({ current_password: PASSWORD, new_password: NEW_PASSWORD })).status, 204);
      assert.equal((await call(app, 'GET', '/api/v1/auth/me', { token: caller.access_token })).status, 200, 'the calling session keeps working');
      const rotated = await refreshWith(app, caller.refresh_token);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(rotated.body.session_id, caller.session_id);

      await refusedWith(app, other.access_token, 'TOKEN_REVOKED');
      expectError(await refreshWith(app, other.refresh_token), 401, 'TOKEN_REVOKED', 'refresh of the other session');
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS', 'old password');
      await login(app, email, NEW_PASSWORD);
    });
  });

  describe('profile', () => {
    it('PUT /me changes the name and username; refuses a taken username, an empty body, email and role', async () => {
      const me = await signUp(app, fresh('profile'));
      const other = await signUp(app, fresh('taken'));
      const otherName = (await call(app, 'GET', '/api/v1/auth/me', { token: other.access_token })).body.username as string;
      const put = (body: unknown) => call(app, 'PUT', '/api/v1/auth/me', { token: me.access_token, body });

      const newName = `New_Name_${hex()}`;
      const r = await put({ full_name: '  Anna Newname ', username: newName });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.full_name, 'Anna Newname');
      assert.equal(r.body.username, newName.toLowerCase());
      assert.deepEqual(Object.keys(r.body).sort(), USER_FIELDS);
      const got = await call(app, 'GET', '/api/v1/auth/me', { token: me.access_token });
      assert.deepEqual([got.body.full_name, got.body.username], ['Anna Newname', newName.toLowerCase()]);

      expectError(await put({ username: otherName.toUpperCase() }), 409, 'USERNAME_TAKEN', 'taken username');
      expectError(await put({}), 400, 'VALIDATION_FAILED', 'empty body');
      for (const body of [{ email: fresh('mine') }, { role: 'admin' }, { full_name: 'Sneaky', role: 'admin' }]) {
        const res = await put(body);
        expectError(res, 400, 'VALIDATION_FAILED', JSON.stringify(body));
        assert.ok(namesField(res, 'email') || namesField(res, 'role'), JSON.stringify(res.body));
      }
      const after = await call(app, 'GET', '/api/v1/auth/me', { token: me.access_token });
      assert.deepEqual([after.body.role, after.body.full_name], ['user', 'Anna Newname'], 'nothing of the refused bodies applied');
      expectError(await call(app, 'PUT', '/api/v1/auth/me', { body: { full_name: 'x' } }), 401, 'UNAUTHENTICATED');

      // Two users racing for one free username: one gets it, the other a 409.
      const wanted = `wanted_${hex()}`;
      const race = await Promise.all([me, other].map((u) => call(app, 'PUT', '/api/v1/auth/me', { token: u.access_token, body: { username: wanted } })));
      assert.deepEqual(race.map((r) => r.status).sort(), [200, 409], JSON.stringify(race.map((r) => r.body)));
      expectError(race.find((r) => r.status === 409)!, 409, 'USERNAME_TAKEN');
    });
  });

  describe('sessions', () => {
    it("lists the live sessions, marks the caller's, shows no token material; DELETE ends one", async () => {
      const email = fresh('sessions');
      const first = await signUp(app, email);
      const second = await login(app, email);
      const list = async (token: string) => {
        const r = await call(app, 'GET', '/api/v1/auth/sessions', { token });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        return r.body.items as { id: string; current: boolean }[];
      };

      const items = await list(second.access_token);
      assert.deepEqual(items.map((s) => s.id).sort(), [first.session_id, second.session_id].sort());
      assert.deepEqual(items.filter((s) => s.current).map((s) => s.id), [second.session_id]);
      assert.deepEqual(secretKeys(items), []);
      const text = JSON.stringify(items);
      for (const secret of [first.refresh_token, second.refresh_token, first.access_token, second.access_token]) assert.ok(!text.includes(secret));
      assert.deepEqual(Object.keys(items[0]!).sort(), ['created_at', 'current', 'expires_at', 'id', 'ip', 'last_used_at', 'user_agent']);
      assert.deepEqual((await list(first.access_token)).filter((s) => s.current).map((s) => s.id), [first.session_id]);

      const del = await call(app, 'DELETE', `/api/v1/auth/sessions/${first.session_id}`, { token: second.access_token });
      assert.equal(del.status, 204);
      assert.deepEqual((await list(second.access_token)).map((s) => s.id), [second.session_id]);
      await refusedWith(app, first.access_token, 'TOKEN_REVOKED');
      expectError(await refreshWith(app, first.refresh_token), 401, 'TOKEN_REVOKED', 'refresh of the deleted session');

      expectError(await call(app, 'DELETE', `/api/v1/auth/sessions/${first.session_id}`, { token: second.access_token }), 404, 'NOT_FOUND', 'already ended');
      const stranger = await signUp(app, fresh('stranger'));
      expectError(await call(app, 'DELETE', `/api/v1/auth/sessions/${stranger.session_id}`, { token: second.access_token }), 404, 'NOT_FOUND', "another user's session");
      assert.equal((await call(app, 'GET', '/api/v1/auth/me', { token: stranger.access_token })).status, 200, 'and it is untouched');
      expectError(await call(app, 'DELETE', '/api/v1/auth/sessions/not-a-uuid', { token: second.access_token }), 400, 'VALIDATION_FAILED', 'malformed id');
      expectError(await call(app, 'GET', '/api/v1/auth/sessions'), 401, 'UNAUTHENTICATED');
    });

    // Idle timeout and absolute lifetime are days long and there is no clock to inject through
    // HTTP: moving the session's timestamps into the past with SQL (time travel) is the only way.
    it('a session idle too long cannot refresh: 401 TOKEN_EXPIRED', async () => {
      const email = fresh('idle');
      const s = await signUp(app, email);
      const ok = await refreshWith(app, s.refresh_token);
      assert.equal(ok.status, 200, 'a live session refreshes');
      await q("update auth.sessions set last_used_at = now() - make_interval(secs => $2) - interval '1 minute' where id = $1", [s.session_id, (t.config.slices.auth as AuthConfig).sessionIdleSeconds]);
      expectError(await refreshWith(app, ok.body.refresh_token), 401, 'TOKEN_EXPIRED', 'idle session');
      const other = await login(app, email);
      const listed = await call(app, 'GET', '/api/v1/auth/sessions', { token: other.access_token });
      assert.deepEqual(listed.body.items.map((x: { id: string }) => x.id), [other.session_id], 'an idle session is not listed as live');
    });

    it('a session past its absolute lifetime cannot refresh: 401 TOKEN_EXPIRED, however active', async () => {
      const s = await signUp(app, fresh('lifetime'));
      // Just used (last_used_at = now), but its absolute end has passed: time travel again.
      await q("update auth.sessions set expires_at = now() - interval '1 second', last_used_at = now() where id = $1", [s.session_id]);
      expectError(await refreshWith(app, s.refresh_token), 401, 'TOKEN_EXPIRED', 'session past its lifetime');
    });
  });

  describe('roles', () => {
    it('a role change ends the sessions; the next sign-in carries the current role', async () => {
      const email = fresh('promoted');
      const u = await signUp(app, email);
      const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
      assert.equal(jwtClaims(u.access_token).role, 'user');
      expectError(await call(app, 'GET', '/api/v1/admin/users', { token: u.access_token }), 403, 'FORBIDDEN', 'a user on an admin route');

      const promoted = await call(app, 'PUT', `/api/v1/admin/users/${u.user_id}`, { token: admin.access_token, body: { role: 'admin' } });
      assert.equal(promoted.status, 200, JSON.stringify(promoted.body));
      assert.equal(promoted.body.role, 'admin');

      // The old tokens carry the old role: their session ended with the change.
      await refusedWith(app, u.access_token, 'TOKEN_REVOKED');
      expectError(await refreshWith(app, u.refresh_token), 401, 'TOKEN_REVOKED', 'refresh after the role change');

      const again = await login(app, email);
      assert.equal(jwtClaims(again.access_token).role, 'admin');
      assert.equal((await call(app, 'GET', '/api/v1/admin/users', { token: again.access_token })).status, 200);
      // A refresh reads the role again: still admin.
      const rotated = await refreshWith(app, again.refresh_token);
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      assert.equal(jwtClaims(rotated.body.access_token).role, 'admin');
      assert.equal(jwtClaims(rotated.body.access_token).sid, again.session_id);
    });
  });
});
