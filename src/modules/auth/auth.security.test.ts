/**
 * Security properties of the auth module, through HTTP on the real app (PostgreSQL + Redis):
 * forged, expired and misused tokens, role and ownership checks, no account enumeration, OTP guess
 * limits under parallel load, and the per-IP / per-email rate limits (with and without a trusted proxy).
 * The token verifier's unit tests (src/kernel/auth/auth.test.ts) are not repeated here: every case
 * goes through the app's own routes, keys and revocation list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { SignJWT, UnsecuredJWT, decodeJwt, generateKeyPair, type JWK } from 'jose';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  call,
  codesFor,
  eventually,
  login,
  NEW_PASSWORD,
  NO_AUTH_LIMITS,
  otpFor,
  PASSWORD,
  register,
  signUp,
  sqlRows,
  withoutRequestId,
  type Called,
} from '../../../test/support/auth.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';
import { generateSigningKey, newId, signAccessToken, type App, type SigningKey } from '../../kernel/index.js';
import { OTP_MAX_ATTEMPTS } from './otps.repository.js';

const ME = '/api/v1/auth/me';
const ADMIN_USERS = '/api/v1/admin/users';
const VERIFY_SUBJECT = /verification code/i;

const unique = (label: string) => `${label}-${newId().slice(-10)}@example.com`;
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

function assertError(r: Called, status: number, code: string, what: string): void {
  assert.deepEqual([r.status, r.code], [status, code], `${what}: ${JSON.stringify(r.body)}`);
}

function login401(app: App, email: string, password: string, ip?: string): Promise<Called> {
  return call(app, 'POST', '/api/v1/auth/login', { body: { email, password }, ...(ip ? { headers: { 'x-forwarded-for': ip } } : {}) });
}

/** A 429 that tells the client when to come back (RFC 9110 Retry-After, IETF RateLimit-* fields). */
function assertRateLimited(r: Called, limit: number, what: string): void {
  assertError(r, 429, 'RATE_LIMITED', what);
  const retryAfter = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${what}: Retry-After ${String(r.headers['retry-after'])}`);
  assert.equal(r.headers['ratelimit-limit'], String(limit), `${what}: RateLimit-Limit`);
  assert.equal(r.headers['ratelimit-remaining'], '0', `${what}: RateLimit-Remaining`);
  const reset = Number(r.headers['ratelimit-reset']);
  assert.ok(Number.isInteger(reset) && reset >= 0 && reset <= 60, `${what}: RateLimit-Reset ${String(r.headers['ratelimit-reset'])}`);
}

describe('auth security: tokens, roles, ownership, enumeration, OTP guesses', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: App;
  let key: SigningKey;
  let settings: { issuer: string; audience: string; ttlSeconds: number };
  const aliceEmail = unique('alice');
  let alice: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let admin: { access_token: string; id: string };

  before(async () => {
    const generated = await generateSigningKey('EdDSA');
    key = generated.key;
    t = await startTestEvently({
      redis: true,
      env: {
        ...NO_AUTH_LIMITS,
        AUTH_SIGNING_KEY: generated.pem,
        EVENTLY_ADMIN_EMAIL: ADMIN_EMAIL,
        EVENTLY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      },
    });
    app = t.evently.app;
    settings = { issuer: t.config.tokens.issuer, audience: t.config.tokens.audience, ttlSeconds: t.config.tokens.accessTtlSeconds };
    [alice, bob] = await Promise.all([signUp(app, aliceEmail), signUp(app, unique('bob'))]);
    const tokens = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    const me = await call(app, 'GET', ME, { token: tokens.access_token });
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'admin', 'EVENTLY_ADMIN_EMAIL creates an admin');
    admin = { access_token: tokens.access_token, id: me.body.id as string };
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  describe('access tokens', () => {
    it('missing token → 401 UNAUTHENTICATED', async () => {
      const r = await call(app, 'GET', ME);
      assertError(r, 401, 'UNAUTHENTICATED', 'no Authorization header');
      assert.equal(r.headers['www-authenticate'], 'Bearer');
    });

    it('malformed token → 401 TOKEN_INVALID', async () => {
      for (const header of ['Bearer not-a-jwt', 'Bearer a.b.c', 'Bearer ', 'Basic dXNlcjpwYXNz', `Bearer ${alice.access_token}x`, alice.access_token]) {
        const r = await call(app, 'GET', ME, { headers: { authorization: header } });
        assertError(r, 401, 'TOKEN_INVALID', `Authorization: ${header.slice(0, 30)}`);
      }
    });

    it('alg none (claims of a real user, role admin) on an admin route → 401 TOKEN_INVALID', async () => {
      const claims = { sid: alice.session_id, role: 'admin', token_type: 'access' };
      const unsecured = new UnsecuredJWT(claims)
        .setSubject(alice.user_id).setIssuer(settings.issuer).setAudience(settings.audience)
        .setIssuedAt().setExpirationTime('5m').setJti(newId()).encode();
      // The same with every header field a real token has, in case only the typ or kid were checked.
      const payload = { ...claims, sub: alice.user_id, iss: settings.issuer, aud: settings.audience, iat: now(), exp: now() + 300, jti: newId() };
      const handMade = `${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${b64(payload)}.`;
      for (const token of [unsecured, handMade]) {
        assertError(await call(app, 'GET', ADMIN_USERS, { token }), 401, 'TOKEN_INVALID', 'alg none on an admin route');
        assertError(await call(app, 'GET', ME, { token }), 401, 'TOKEN_INVALID', 'alg none on /me');
      }
    });

    it('signed by a wrong key (with the published kid, and with another kid) → 401 TOKEN_INVALID', async () => {
      const jwks = await call(app, 'GET', '/.well-known/jwks.json');
      assert.equal(jwks.status, 200);
      const published = jwks.body.keys as JWK[];
      assert.deepEqual(published.map((k) => k.kid), [key.kid], 'the configured AUTH_SIGNING_KEY is the one published');
      const realKid = published[0]!.kid!;
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const forge = (kid: string) => new SignJWT({ sid: alice.session_id, role: 'admin', token_type: 'access' })
        .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
        .setSubject(alice.user_id).setIssuer(settings.issuer).setAudience(settings.audience)
        .setIssuedAt().setExpirationTime('5m').setJti(newId())
        .sign(privateKey);
      for (const kid of [realKid, 'attacker-key-1', '']) {
        const token = await forge(kid);
        assertError(await call(app, 'GET', ME, { token }), 401, 'TOKEN_INVALID', `wrong key, kid "${kid}"`);
        assertError(await call(app, 'GET', ADMIN_USERS, { token }), 401, 'TOKEN_INVALID', `wrong key on an admin route, kid "${kid}"`);
      }
      // HMAC with the public key as the secret (the classic algorithm-confusion forgery).
      const hmac = await new SignJWT({ sid: alice.session_id, role: 'admin', token_type: 'access' })
        .setProtectedHeader({ alg: 'HS256', kid: realKid, typ: 'at+jwt' })
        .setSubject(alice.user_id).setIssuer(settings.issuer).setAudience(settings.audience)
        .setIssuedAt().setExpirationTime('5m').setJti(newId())
        .sign(new TextEncoder().encode(JSON.stringify(published[0])));
      assertError(await call(app, 'GET', ADMIN_USERS, { token: hmac }), 401, 'TOKEN_INVALID', 'HS256 with the public key as secret');
    });

    it('expired token signed with the real key → 401 TOKEN_EXPIRED; a fresh one with the same key → 200', async () => {
      const claims = { sid: alice.session_id, role: 'user', token_type: 'access' };
      const expired = await new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setSubject(alice.user_id).setIssuer(settings.issuer).setAudience(settings.audience)
        .setIssuedAt(now() - settings.ttlSeconds - 120).setExpirationTime(now() - 120).setJti(newId())
        .sign(key.privateKey);
      const r = await call(app, 'GET', ME, { token: expired });
      assertError(r, 401, 'TOKEN_EXPIRED', 'expired token');

      const { token: fresh } = await signAccessToken(key, { userId: alice.user_id, sessionId: alice.session_id, role: 'user' }, settings);
      const ok = await call(app, 'GET', ME, { token: fresh });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.id, alice.user_id, 'the key in use is the one from AUTH_SIGNING_KEY');
    });

    it('a refresh token used as an access token → 401 TOKEN_INVALID', async () => {
      assert.match(alice.refresh_token, /^rt_/);
      assertError(await call(app, 'GET', ME, { token: alice.refresh_token }), 401, 'TOKEN_INVALID', 'Bearer rt_…');
      assertError(await call(app, 'GET', ADMIN_USERS, { token: alice.refresh_token }), 401, 'TOKEN_INVALID', 'Bearer rt_… on an admin route');
    });

    it('a real token with its role claim changed to admin (signature kept) → 401 TOKEN_INVALID', async () => {
      const [h, p, s] = alice.access_token.split('.') as [string, string, string];
      const payload = decodeJwt(alice.access_token);
      assert.equal(payload.role, 'user');
      const forged = `${h}.${b64({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), role: 'admin' })}.${s}`;
      assertError(await call(app, 'GET', ADMIN_USERS, { token: forged }), 401, 'TOKEN_INVALID', 'tampered role');
      assert.equal((await call(app, 'GET', ME, { token: alice.access_token })).status, 200, 'the untouched token still works');
    });
  });

  describe('roles and ownership', () => {
    it('a user calling admin routes → 403 FORBIDDEN, and nothing happens', async () => {
      const token = alice.access_token;
      const attempts: [string, string, unknown?][] = [
        ['GET', ADMIN_USERS],
        ['POST', ADMIN_USERS, { email: unique('mallory'), username: `mallory-${newId().slice(-8)}`, password: PASSWORD, role: 'admin', is_verified: true }],
        ['POST', '/api/v1/admin/sessions/cleanup'],
        ['DELETE', `${ADMIN_USERS}/${bob.user_id}`],
        ['GET', `${ADMIN_USERS}/${bob.user_id}`],
        ['PUT', `${ADMIN_USERS}/${alice.user_id}`, { role: 'admin' }],
        ['POST', `${ADMIN_USERS}/${bob.user_id}/deactivate`],
        ['DELETE', `${ADMIN_USERS}/${bob.user_id}/sessions`],
      ];
      for (const [method, url, body] of attempts) {
        assertError(await call(app, method, url, { token, body }), 403, 'FORBIDDEN', `${method} ${url}`);
      }
      const bobNow = await call(app, 'GET', `${ADMIN_USERS}/${bob.user_id}`, { token: admin.access_token });
      assert.equal(bobNow.status, 200, 'bob was not deleted');
      assert.equal(bobNow.body.is_active, true, 'bob was not deactivated');
      assert.equal((await call(app, 'GET', ME, { token: bob.access_token })).status, 200, "bob's session was not ended");
      const aliceNow = await call(app, 'GET', ME, { token });
      assert.equal(aliceNow.body.role, 'user', 'alice did not make herself admin');
      const admins = await call(app, 'GET', `${ADMIN_USERS}?role=admin`, { token: admin.access_token });
      assert.deepEqual(admins.body.items.map((u: { email: string }) => u.email), [ADMIN_EMAIL], 'no admin was created');
    });

    it("a user ending another user's session → 404 NOT_FOUND (as for an unknown id); the other session lives on", async () => {
      const other = await call(app, 'DELETE', `/api/v1/auth/sessions/${bob.session_id}`, { token: alice.access_token });
      assertError(other, 404, 'NOT_FOUND', "alice revokes bob's session");
      const unknown = await call(app, 'DELETE', `/api/v1/auth/sessions/${newId()}`, { token: alice.access_token });
      assertError(unknown, 404, 'NOT_FOUND', 'an unknown session id');
      assert.deepEqual(withoutRequestId(other.body), withoutRequestId(unknown.body), "another user's session is indistinguishable from an unknown one");

      assert.equal((await call(app, 'GET', ME, { token: bob.access_token })).status, 200, "bob's access token still works");
      const bobSessions = await call(app, 'GET', '/api/v1/auth/sessions', { token: bob.access_token });
      assert.ok(bobSessions.body.items.some((s: { id: string }) => s.id === bob.session_id), "bob's session is still live");
      const aliceSessions = await call(app, 'GET', '/api/v1/auth/sessions', { token: alice.access_token });
      assert.ok(!aliceSessions.body.items.some((s: { id: string }) => s.id === bob.session_id), "alice does not see bob's session");
    });

    it('the admin deleting, deactivating or changing the role of their own account → 403 CANNOT_TARGET_SELF', async () => {
      const token = admin.access_token;
      const self = `${ADMIN_USERS}/${admin.id}`;
      assertError(await call(app, 'DELETE', self, { token }), 403, 'CANNOT_TARGET_SELF', 'delete self');
      assertError(await call(app, 'POST', `${self}/deactivate`, { token }), 403, 'CANNOT_TARGET_SELF', 'deactivate self');
      assertError(await call(app, 'PUT', self, { token, body: { role: 'user' } }), 403, 'CANNOT_TARGET_SELF', 'demote self');
      const still = await call(app, 'GET', self, { token });
      assert.equal(still.status, 200, 'the admin still exists and still has access');
      assert.deepEqual([still.body.role, still.body.is_active], ['admin', true]);
    });

    it('a refresh token presented after its session logged out → 401', async () => {
      const email = unique('carol');
      await signUp(app, email);
      const s = await login(app, email);
      const out = await call(app, 'POST', '/api/v1/auth/logout', { token: s.access_token });
      assert.equal(out.status, 204, JSON.stringify(out.body));
      const r = await call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } });
      assertError(r, 401, 'TOKEN_REVOKED', 'refresh after logout');
      const again = await call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: s.refresh_token } });
      assert.equal(again.status, 401, 'and again');
      assertError(await call(app, 'GET', ME, { token: s.access_token }), 401, 'TOKEN_REVOKED', 'the access token of the ended session');
    });
  });

  describe('no account enumeration on login', () => {
    it('unknown email and wrong password answer identically: 401 INVALID_CREDENTIALS', async () => {
      const unknown = await login401(app, unique('nobody'), 'Wr0ng-password');
      const wrong = await login401(app, aliceEmail, 'Wr0ng-password');
      assertError(unknown, 401, 'INVALID_CREDENTIALS', 'unknown email');
      assertError(wrong, 401, 'INVALID_CREDENTIALS', 'wrong password');
      assert.deepEqual(withoutRequestId(unknown.body), withoutRequestId(wrong.body), 'same body but for request_id');
      assert.deepEqual(Object.keys(unknown.body.error).sort(), Object.keys(wrong.body.error).sort());
      assert.equal(unknown.headers['www-authenticate'], wrong.headers['www-authenticate']);
    });

    it('an unverified account: wrong password → the same 401; only the right password → 403 EMAIL_NOT_VERIFIED', async () => {
      const email = unique('unverified');
      assert.equal((await register(app, email)).status, 202);
      const wrong = await login401(app, email, 'Wr0ng-password');
      const unknown = await login401(app, unique('nobody'), 'Wr0ng-password');
      assertError(wrong, 401, 'INVALID_CREDENTIALS', 'unverified, wrong password');
      assert.deepEqual(withoutRequestId(wrong.body), withoutRequestId(unknown.body), 'same as an unknown email');
      assertError(await login401(app, email, PASSWORD), 403, 'EMAIL_NOT_VERIFIED', 'unverified, right password');
    });
  });

  describe('one-time codes', () => {
    it(`20 parallel wrong guesses: ${OTP_MAX_ATTEMPTS} counted (none without the password), all answered alike; the right code then fails too, and a new one comes at once`, async () => {
      const email = unique('guesser');
      assert.equal((await register(app, email)).status, 202);
      const real = await otpFor(app, email, { subject: VERIFY_SUBJECT });
      const wrongCodes = Array.from({ length: 20 }, (_, i) => String((Number(real) + 1 + i * 7919) % 1_000_000).padStart(6, '0'));
      assert.ok(!wrongCodes.includes(real));
      const verify = (otp: string, password = PASSWORD) => call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password } });
      const attempts = async () => (await sqlRows<{ attempts: number }>(t.database.url, "select o.attempts from auth.otps o join auth.registrations r on r.id = o.user_id where r.email = $1 and o.purpose = 'verify_email'", [email]))[0]!.attempts;

      // A stranger without the password spends none of the code's guesses.
      const strangers = await Promise.all(wrongCodes.map((c) => verify(c, 'Str4nger-guess')));
      assert.equal(await attempts(), 0);
      const answers = await Promise.all(wrongCodes.map((c) => verify(c)));
      // Counted, exactly, under 20 parallel guesses; and no answer tells how many are left.
      assert.equal(await attempts(), OTP_MAX_ATTEMPTS);
      answers.push(...strangers);
      const bodies = new Set(answers.map((a) => `${a.status} ${JSON.stringify(withoutRequestId(a.body))}`));
      assert.equal(bodies.size, 1, [...bodies].join('\n'));
      assertError(answers[0]!, 400, 'OTP_INVALID', 'a wrong guess');

      const usedUp = await verify(real);
      assert.deepEqual(withoutRequestId(usedUp.body), withoutRequestId(answers[0]!.body), 'the right code of a used-up code reads like any wrong one');
      assertError(await login401(app, email, PASSWORD), 403, 'EMAIL_NOT_VERIFIED', 'still unverified');

      // The owner can always get a fresh code: a used-up code holds no cooldown back.
      const mailed = (await codesFor(app, email, VERIFY_SUBJECT)).length;
      const resend = await call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email } });
      assert.equal(resend.status, 202, JSON.stringify(resend.body));
      const [fresh] = await eventually(async () => {
        const codes = await codesFor(app, email, VERIFY_SUBJECT);
        return codes.length > mailed ? codes : undefined;
      }, 'the resent code');
      assertError(await verify(real), 400, 'OTP_INVALID', 'the replaced code');
      const ok = await verify(fresh!);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal((await login401(app, email, PASSWORD)).status, 200, 'verified: can sign in');
    });
  });
});

describe('auth rate limits per client IP behind a trusted proxy', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: App;
  before(async () => {
    t = await startTestEvently({ redis: true, env: { TRUST_PROXY: '127.0.0.1', AUTH_RATE_LOGIN: 'ip=3/1m,account_ip=100/1m,account=100/1m' } });
    app = t.evently.app;
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('the 4th login from one forwarded IP → 429 with Retry-After and RateLimit-*; another IP still gets through', async () => {
    const email = unique('dave');
    await signUp(app, email); // its login comes from 127.0.0.1: a budget of its own
    for (let i = 1; i <= 3; i++) {
      assertError(await login401(app, unique('nobody'), 'Wr0ng-password', '203.0.113.7'), 401, 'INVALID_CREDENTIALS', `login ${i} from 203.0.113.7`);
    }
    const fourth = await login401(app, email, PASSWORD, '203.0.113.7');
    assertRateLimited(fourth, 3, 'the 4th login from 203.0.113.7, even with the right password');
    assertError(await login401(app, email, 'Wr0ng-password', '203.0.113.8'), 401, 'INVALID_CREDENTIALS', 'a login from 203.0.113.8');
    const ok = await login401(app, email, PASSWORD, '203.0.113.8');
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const sessions = await call(app, 'GET', '/api/v1/auth/sessions', { token: ok.body.access_token });
    assert.equal(sessions.body.items.find((s: { id: string }) => s.id === ok.body.session_id)?.ip, '203.0.113.8', 'the forwarded client IP is the one recorded');
  });

  it('forgot-password: always 202, known or unknown address alike; one mail per cooldown while its code is usable', async () => {
    const known = unique('erin');
    await signUp(app, known);
    const unknown = unique('nobody');
    const ask = (email: string) => call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } });
    const answers = [await ask(known), await ask(unknown), await ask(known), await ask(unknown)];
    assert.deepEqual(answers.map((a) => a.status), [202, 202, 202, 202]);
    for (const a of answers) assert.deepEqual(a.body, answers[0]!.body, 'the answer does not tell whether the account exists or a mail went out');
    const code = await otpFor(app, known, { subject: /reset/i });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await codesFor(app, known, /reset/i)).length, 1, 'within the cooldown, while the code is usable, no second mail');
    // The code works: the second request did not replace it.
    assert.equal((await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email: known, otp: code, new_password: NEW_PASSWORD } })).status, 204);
  });
});

describe('auth rate limits without a trusted proxy', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  before(async () => {
    t = await startTestEvently({ redis: true, env: { AUTH_RATE_LOGIN: 'ip=3/1m,account_ip=100/1m,account=100/1m' } });
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('a spoofed X-Forwarded-For gives no fresh budget: every login counts against the socket address', async () => {
    const app = t.evently.app;
    const ips = ['203.0.113.7', '203.0.113.8', '203.0.113.9', '203.0.113.10'];
    const answers: Called[] = [];
    for (const ip of ips) answers.push(await login401(app, unique('nobody'), 'Wr0ng-password', ip));
    assert.deepEqual(answers.map((a) => [a.status, a.code]), [
      [401, 'INVALID_CREDENTIALS'], [401, 'INVALID_CREDENTIALS'], [401, 'INVALID_CREDENTIALS'], [429, 'RATE_LIMITED'],
    ]);
    assertRateLimited(answers[3]!, 3, 'the 4th login, whatever X-Forwarded-For says');
    assertRateLimited(await login401(app, unique('nobody'), 'Wr0ng-password'), 3, 'and without the header');
  });
});

describe('auth rate limits per account', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: App;
  before(async () => {
    t = await startTestEvently({
      redis: true,
      env: {
        TRUST_PROXY: '127.0.0.1',
        AUTH_RATE_LOGIN: 'ip=100/1m,account_ip=2/1m,account=4/1m',
        AUTH_OTP_RESEND_COOLDOWN_S: '60',
      },
    });
    app = t.evently.app;
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('wrong passwords count per account and client (hard) and per account (softer); right ones count nothing', async () => {
    const [victim, bystander] = [unique('frank'), unique('grace')];
    await Promise.all([signUp(app, victim), signUp(app, bystander)]);
    // One client: its own budget on the account runs out after 2 failures...
    for (let i = 1; i <= 2; i++) assertError(await login401(app, victim, 'Wr0ng-password', '198.51.100.1'), 401, 'INVALID_CREDENTIALS', `failure ${i}`);
    assertRateLimited(await login401(app, victim, PASSWORD, '198.51.100.1'), 2, 'that client, even with the right password');
    // ...while another client is not held back by it, and a right password spends nothing.
    for (let i = 0; i < 3; i++) assert.equal((await login401(app, victim, PASSWORD, '198.51.100.2')).status, 200, `right password ${i}`);
    // Failures from many clients reach the account's softer limit (4): an unknown client is refused...
    for (const ip of ['198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6']) {
      assertError(await login401(app, victim, 'Wr0ng-password', ip), 401, 'INVALID_CREDENTIALS', `failure from ${ip}`);
    }
    assertRateLimited(await login401(app, victim, PASSWORD, '198.51.100.7'), 4, 'a client new to the account, right password');
    // ...but the owner's known client (it signed in before) is not, and its sign-in forgives the failures.
    assert.equal((await login401(app, victim, PASSWORD, '198.51.100.2')).status, 200, 'the owner from a client it signed in from before');
    assert.equal((await login401(app, victim, PASSWORD, '198.51.100.7')).status, 200, 'after the owner signed in, a new client may try again');
    assert.equal((await login401(app, bystander, PASSWORD, '198.51.100.1')).status, 200, 'another account is unaffected');
  });
});
