/**
 * The attacks an adversarial review reproduced against auth (issue 8), replayed through HTTP on the
 * real app (PostgreSQL + Redis), each written to succeed against the code before the fix: takeover of
 * an address before it is verified, strangers locking an owner out, enumeration through wrong codes
 * and taken usernames, revocations lost with Redis, codes that outlive an email or password change,
 * an admin un-verifying itself, and the smaller items (no-store, NFC passwords, bounded sessions,
 * IPv6 clients per /64).
 *
 * The account limits keep their defaults here; only the per-client budgets are raised, because the
 * suite itself sends everything from one address.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import {
  ADMIN_EMAIL,
  ADMIN_ENV,
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
  wrongCode,
  type Called,
} from '../../../test/support/auth.js';
import { createTestDatabase } from '../../../test/support/db.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { dropPrefix, skipWithoutRedis } from '../../../test/support/redis.js';
import { newId, type App } from '../../kernel/index.js';

const VERIFY = /verification code/i;
const RESET = /reset your evently password/i;
const ATTACKER_PASSWORD = 'Att4cker-owns-it';

const unique = (label: string) => `${label}-${newId().slice(-10)}@example.com`;
const handle = (label: string) => `${label}_${newId().slice(-8)}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });

function assertError(r: Called, status: number, code: string, what: string): void {
  assert.deepEqual([r.status, r.code], [status, code], `${what}: ${JSON.stringify(r.body)}`);
}

/** Two answers a client could tell apart only by their request ids are the same answer. */
function assertSameAnswer(a: Called, b: Called, what: string): void {
  assert.deepEqual([b.status, withoutRequestId(b.body)], [a.status, withoutRequestId(a.body)], what);
}

/** Waits for the code mails to `email` to reach `count`; newest first. */
async function codes(app: App, email: string, subject: RegExp, count: number): Promise<string[]> {
  return eventually(async () => {
    const found = await codesFor(app, email, subject);
    return found.length >= count ? found : undefined;
  }, `${count} code mail(s) to ${email}`);
}

const verify = (app: App, email: string, otp: string, password: string, ip?: string) =>
  call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password }, ...(ip ? { headers: from(ip) } : {}) });
const reset = (app: App, email: string, otp: string, ip?: string) =>
  call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp, new_password: NEW_PASSWORD }, ...(ip ? { headers: from(ip) } : {}) });
const signIn = (app: App, email: string, password: string, ip?: string) =>
  call(app, 'POST', '/api/v1/auth/login', { body: { email, password }, ...(ip ? { headers: from(ip) } : {}) });

describe('auth attacks from the review (issue 8)', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: App;
  let admin: { access_token: string };
  const asAdmin = (method: string, url: string, body?: unknown) => call(app, method, url, { token: admin.access_token, body });

  before(async () => {
    t = await startTestEvently({
      redis: true,
      env: {
        ...ADMIN_ENV,
        TRUST_PROXY: '127.0.0.1',
        AUTH_OTP_RESEND_COOLDOWN_S: '60',
        AUTH_SESSIONS_PER_USER: '3',
        // Account limits at their defaults; the suite's own client needs a larger budget.
        AUTH_RATE_LOGIN: 'ip=1000/1m',
        AUTH_RATE_REGISTER: 'ip=1000/1h',
        AUTH_RATE_VERIFY: 'ip=1000/15m',
        AUTH_RATE_RESET: 'ip=1000/15m',
        AUTH_RATE_FORGOT: 'ip=1000/1h',
      },
    });
    app = t.evently.app;
    admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  describe('1. takeover before verification', () => {
    it('squatter first: the owner registers over the pending account and verifies with its own password; the squatter cannot sign in', async () => {
      const victim = unique('victim');
      assert.equal((await register(app, victim, { username: handle('squatter'), password: ATTACKER_PASSWORD })).status, 202, 'the squatter');
      const [squattersCode] = await codes(app, victim, VERIFY, 1);
      const ownerName = handle('owner');
      const owner = await register(app, victim, { username: ownerName, password: PASSWORD });
      assert.equal(owner.status, 202, `the owner is not turned away: ${JSON.stringify(owner.body)}`);
      const [ownersCode] = (await codes(app, victim, VERIFY, 2)).filter((c) => c !== squattersCode);
      assertError(await verify(app, victim, squattersCode!, ATTACKER_PASSWORD), 400, 'OTP_INVALID', "the squatter's registration and its code are gone");
      assertError(await verify(app, victim, ownersCode!, ATTACKER_PASSWORD), 400, 'OTP_INVALID', "the owner's code with the squatter's password");
      assert.equal((await verify(app, victim, ownersCode!, PASSWORD)).status, 200, 'the owner verifies');
      assertError(await signIn(app, victim, ATTACKER_PASSWORD), 401, 'INVALID_CREDENTIALS', 'the squatter signs in');
      const me = await call(app, 'GET', '/api/v1/auth/me', { token: (await login(app, victim)).access_token });
      assert.equal(me.body.username, ownerName.toLowerCase());
    });

    it('owner first: a squatter registering over the pending account gets nothing; the owner registers again and wins', async () => {
      const victim = unique('victim');
      assert.equal((await register(app, victim, { username: handle('owner') })).status, 202);
      const [first] = await codes(app, victim, VERIFY, 1);
      assert.equal((await register(app, victim, { username: handle('squatter'), password: ATTACKER_PASSWORD })).status, 202, 'the squatter is answered alike');
      await codes(app, victim, VERIFY, 2);
      // The squatter replaced the pending registration, so the owner's code and password no longer fit
      // together; the squatter, lacking any code, cannot verify either.
      assertError(await verify(app, victim, first!, PASSWORD), 400, 'OTP_INVALID', "the owner's first code");
      assert.equal((await register(app, victim, { username: handle('owner') })).status, 202, 'the owner registers again');
      const [latest] = await codes(app, victim, VERIFY, 3);
      assert.equal((await verify(app, victim, latest!, PASSWORD)).status, 200, 'the owner verifies');
      assertError(await signIn(app, victim, ATTACKER_PASSWORD), 401, 'INVALID_CREDENTIALS', 'the squatter signs in');
      assert.equal((await signIn(app, victim, PASSWORD)).status, 200);
    });

    it('a verified address: registering it again changes nothing; its owner is told, the registrant learns nothing', async () => {
      const owner = unique('settled');
      const { user_id } = await signUp(app, owner);
      const fresh = unique('fresh');
      const again = await register(app, owner, { username: handle('squatter'), password: ATTACKER_PASSWORD });
      assertSameAnswer(await register(app, fresh, { username: handle('fresh'), password: ATTACKER_PASSWORD }), again, 'a verified address and a new one');
      // Signing in with the password just registered: the same answer for both addresses.
      const probe = await signIn(app, owner, ATTACKER_PASSWORD);
      assertError(probe, 403, 'EMAIL_NOT_VERIFIED', "the registrant's password on the verified address");
      assertSameAnswer(await signIn(app, fresh, ATTACKER_PASSWORD), probe, 'the same on the new address');
      assert.equal((await signIn(app, owner, PASSWORD)).status, 200, "the owner's password still works");
      const notice = await eventually(async () => {
        const r = await call(app, 'GET', `/dev/mailbox?to=${encodeURIComponent(owner)}&limit=20`);
        return (r.body.items as { subject: string; text: string }[]).find((m) => /already have an Evently account/.test(m.subject));
      }, 'the notice to the owner');
      assert.doesNotMatch(notice.text, /squatter|Att4cker/, 'nothing the registrant chose reaches the mail');
      const live = await sqlRows(t.database.url, "select 1 from auth.otps where user_id = $1 and consumed_at is null", [user_id]);
      assert.equal(live.length, 0, 'no code for the account');
    });

    it('a username the registration reserved answers the same whether or not its address has an account', async () => {
      const [verified, fresh] = [unique('known'), unique('unknown')];
      await signUp(app, verified);
      const [u1, u2] = [handle('probe'), handle('probe')];
      assert.equal((await register(app, verified, { username: u1 })).status, 202);
      assert.equal((await register(app, fresh, { username: u2 })).status, 202);
      const a = await register(app, unique('other'), { username: u1 });
      assertError(a, 409, 'USERNAME_TAKEN', "the verified address's registration holds it");
      assertSameAnswer(a, await register(app, unique('other'), { username: u2 }), "the new address's registration holds it too");
      // Nor can an account take it meanwhile (the registrant's verification would then fail).
      const someone = await signUp(app, unique('someone'));
      assertError(await call(app, 'PUT', '/api/v1/auth/me', { token: someone.access_token, body: { username: u2 } }), 409, 'USERNAME_TAKEN', 'a profile change to it');
    });

    it('an account an admin made (unverified, even an admin) is untouched by a registration of its address', async () => {
      const email = unique('made');
      const made = await asAdmin('POST', '/api/v1/admin/users', { email, username: handle('made'), password: PASSWORD, role: 'admin', is_verified: false });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const code = await otpFor(app, email);
      assert.equal((await register(app, email, { username: handle('squatter'), password: ATTACKER_PASSWORD })).status, 202);
      const after = await asAdmin('GET', `/api/v1/admin/users/${made.body.id as string}`);
      assert.deepEqual([after.body.username, after.body.role, after.body.is_verified], [made.body.username, 'admin', false], 'unchanged');
      assertError(await verify(app, email, code, ATTACKER_PASSWORD), 400, 'OTP_INVALID', "the account's code with the registrant's password");
      assert.equal((await verify(app, email, code, PASSWORD)).status, 200, "the account's code with its own password");
    });
  });

  describe('2. strangers cannot lock the owner out', () => {
    it('ten wrong passwords from ten clients: the owner still signs in, from a client it never used', async () => {
      const owner = unique('target');
      await signUp(app, owner);
      for (let i = 1; i <= 10; i++) {
        assertError(await signIn(app, owner, 'Wr0ng-password', `203.0.113.${i}`), 401, 'INVALID_CREDENTIALS', `stranger ${i}`);
      }
      assert.equal((await signIn(app, owner, PASSWORD, '192.0.2.77')).status, 200, 'the owner, new client');
    });

    it('registrations mail one address at most 5 times an hour, whoever sends them', async () => {
      const target = unique('flooded');
      for (let i = 1; i <= 5; i++) {
        assert.equal((await call(app, 'POST', '/api/v1/auth/register', { body: { email: target, username: handle('flood'), password: PASSWORD }, headers: from(`203.0.113.${60 + i}`) })).status, 202, `registration ${i}`);
      }
      const sixth = await call(app, 'POST', '/api/v1/auth/register', { body: { email: target, username: handle('flood'), password: PASSWORD }, headers: from('203.0.113.70') });
      assertError(sixth, 429, 'RATE_LIMITED', 'the sixth, from yet another client');
    });

    it("strangers asking for reset codes and guessing them change nothing: one mail, and the owner's code still works", async () => {
      const owner = unique('resetter');
      await signUp(app, owner);
      for (let i = 1; i <= 6; i++) {
        const r = await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email: owner }, headers: from(`203.0.113.${20 + i}`) });
        assert.equal(r.status, 202, `stranger ${i} asks for a code`);
      }
      const [code] = await codes(app, owner, RESET, 1);
      assert.match(code!, /^[0-9A-Z]{5}-[0-9A-Z]{5}$/, 'a reset code is 10 characters (50 bits): too long to guess');
      for (let i = 1; i <= 8; i++) {
        assertError(await reset(app, owner, wrongCode(code!), `203.0.113.${30 + i}`), 400, 'OTP_INVALID', `stranger ${i} guesses`);
      }
      assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email: owner } })).status, 202, 'the owner asks too');
      assert.equal((await reset(app, owner, code!.toLowerCase().replace('-', ' '))).status, 204, 'the code in hand resets (typed loosely)');
      assert.equal((await signIn(app, owner, NEW_PASSWORD)).status, 200);
      assert.equal((await codesFor(app, owner, RESET)).length, 1, 'one reset mail within the cooldown, however many asked');
    });
  });

  describe('3. no enumeration through the second step', () => {
    it('wrong reset codes: a real account and an unknown address answer alike', async () => {
      const real = unique('real');
      await signUp(app, real);
      const unknown = unique('nobody');
      for (const email of [real, unknown]) assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } })).status, 202);
      const [code] = await codes(app, real, RESET, 1);
      for (let i = 1; i <= 7; i++) {
        assertSameAnswer(await reset(app, unknown, wrongCode(code!)), await reset(app, real, wrongCode(code!)), `wrong reset code ${i}`);
      }
    });

    it('wrong verification codes: a pending account, a verified one and an unknown address answer alike', async () => {
      const [pending, verified, unknown] = [unique('pending'), unique('verified'), unique('nobody')];
      assert.equal((await register(app, pending)).status, 202);
      await signUp(app, verified);
      const [code] = await codes(app, pending, VERIFY, 1);
      for (let i = 1; i <= 7; i++) {
        const first = await verify(app, unknown, wrongCode(code!), PASSWORD);
        assertError(first, 400, 'OTP_INVALID', `unknown ${i}`);
        assertSameAnswer(first, await verify(app, pending, wrongCode(code!), PASSWORD), `pending ${i}`);
        assertSameAnswer(first, await verify(app, verified, wrongCode(code!), PASSWORD), `verified ${i}`);
      }
    });

    it('register with a taken username answers the same whether or not the email has an account', async () => {
      const owner = unique('holder');
      const taken = handle('holder');
      await signUp(app, owner, { username: taken });
      const withNewEmail = await register(app, unique('prober'), { username: taken });
      assertError(withNewEmail, 409, 'USERNAME_TAKEN', 'taken username, new email');
      assertSameAnswer(withNewEmail, await register(app, owner, { username: taken }), 'taken username, existing email');
      assertSameAnswer(
        await register(app, unique('prober'), { username: handle('free') }),
        await register(app, owner, { username: handle('free') }),
        'free username: new email and existing email',
      );
    });
  });

  describe('5. codes end with the change they predate', () => {
    it('an email change: the code mailed to the old address verifies neither address', async () => {
      const old = unique('moving');
      const made = await asAdmin('POST', '/api/v1/admin/users', { email: old, username: handle('moving'), password: PASSWORD, is_verified: false });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const [code] = await codes(app, old, VERIFY, 1);
      const moved = unique('moved');
      assert.equal((await asAdmin('PUT', `/api/v1/admin/users/${made.body.id as string}`, { email: moved })).status, 200);
      assertError(await verify(app, moved, code!, PASSWORD), 400, 'OTP_INVALID', 'the old code, new address');
      assertError(await verify(app, old, code!, PASSWORD), 400, 'OTP_INVALID', 'the old code, old address');
      assert.equal((await call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email: moved } })).status, 202);
      assert.equal((await verify(app, moved, await otpFor(app, moved), PASSWORD)).status, 200, 'a code mailed to the new address');
    });

    it('an email change un-verifies the account (unless the admin says otherwise) and ends reset codes', async () => {
      const old = unique('relocating');
      const { user_id } = await signUp(app, old);
      assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email: old } })).status, 202);
      const [code] = await codes(app, old, RESET, 1);
      const moved = unique('relocated');
      const changed = await asAdmin('PUT', `/api/v1/admin/users/${user_id}`, { email: moved });
      assert.deepEqual([changed.status, changed.body.is_verified], [200, false], JSON.stringify(changed.body));
      assertError(await reset(app, moved, code!), 400, 'OTP_INVALID', 'the reset code after the change');
      assertError(await signIn(app, moved, PASSWORD), 403, 'EMAIL_NOT_VERIFIED', 'sign-in to the unproven address');
      const kept = await asAdmin('PUT', `/api/v1/admin/users/${user_id}`, { email: unique('vouched'), is_verified: true });
      assert.deepEqual([kept.status, kept.body.is_verified], [200, true], 'the admin vouches for the new address');
    });

    it('a password change ends the reset code mailed before it', async () => {
      const email = unique('changer');
      const user = await signUp(app, email);
      assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } })).status, 202);
      const [code] = await codes(app, email, RESET, 1);
      const changed = await call(app, 'POST', '/api/v1/auth/change-password', { token: user.access_token, body: { current_password: PASSWORD, new_password: 'Ch4nged-again' } });
      assert.equal(changed.status, 204);
      assertError(await reset(app, email, code!), 400, 'OTP_INVALID', 'the older reset code');
      assert.equal((await signIn(app, email, 'Ch4nged-again')).status, 200, 'the changed password stands');
    });
  });

  describe('6. an admin cannot un-verify itself', () => {
    it('is_verified:false or an email change on its own account → 403 CANNOT_TARGET_SELF; vouching for the new address is allowed', async () => {
      const email = unique('selfadmin');
      const { user_id } = await signUp(app, email);
      assert.equal((await asAdmin('PUT', `/api/v1/admin/users/${user_id}`, { role: 'admin' })).status, 200);
      const self = (await login(app, email)).access_token;
      const put = (body: unknown) => call(app, 'PUT', `/api/v1/admin/users/${user_id}`, { token: self, body });
      assertError(await put({ is_verified: false }), 403, 'CANNOT_TARGET_SELF', 'un-verify self');
      assertError(await put({ email: unique('elsewhere') }), 403, 'CANNOT_TARGET_SELF', 'own email change that would un-verify');
      assert.equal((await put({ email: unique('elsewhere'), is_verified: true })).status, 200, 'own email change, verification kept');
    });
  });

  describe('7. smaller items', () => {
    it('Cache-Control: no-store on every answer carrying tokens or account data', async () => {
      const email = unique('cached');
      const user = await signUp(app, email);
      const answers: [string, Called][] = [
        ['login', await signIn(app, email, PASSWORD)],
        ['refresh', await call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refresh_token } })],
        ['me', await call(app, 'GET', '/api/v1/auth/me', { token: user.access_token })],
        ['sessions', await call(app, 'GET', '/api/v1/auth/sessions', { token: user.access_token })],
        ['admin users', await asAdmin('GET', '/api/v1/admin/users')],
        ['admin user', await asAdmin('GET', `/api/v1/admin/users/${user.user_id}`)],
        ['an error', await signIn(app, email, 'Wr0ng-password')],
      ];
      for (const [what, r] of answers) assert.equal(r.headers['cache-control'], 'no-store', `${what} (${r.status})`);
    });

    it('passwords are compared in NFC: a password typed decomposed signs in composed, and the other way round', async () => {
      const composed = 'Gr\u00fcn-Passw0rd';
      const decomposed = 'Gru\u0308n-Passw0rd';
      const email = unique('umlaut');
      await signUp(app, email, { password: decomposed });
      assert.equal((await signIn(app, email, composed)).status, 200, 'composed');
      assert.equal((await signIn(app, email, decomposed)).status, 200, 'decomposed');
    });

    it('sessions per user are bounded (AUTH_SESSIONS_PER_USER=3): the least recently used one ends', async () => {
      const email = unique('hoarder');
      const first = await signUp(app, email);
      for (let i = 0; i < 3; i++) await login(app, email);
      const refreshed = await call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: first.refresh_token } });
      assert.equal(refreshed.status, 401, 'the oldest session cannot refresh');
      await eventually(async () => ((await call(app, 'GET', '/api/v1/auth/me', { token: first.access_token })).status === 401 ? true : undefined), 'its access token refused');
      const live = await call(app, 'GET', '/api/v1/auth/sessions', { token: (await login(app, email)).access_token });
      assert.equal((live.body.items as unknown[]).length, 3);
    });

    it('IPv6 clients share one budget per /64: resend-otp from ten addresses of one /64 spends it', async () => {
      const ask = (ip: string) => call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email: unique('v6') }, headers: from(ip) });
      for (let i = 1; i <= 10; i++) assert.equal((await ask(`2001:db8:8::${i.toString(16)}`)).status, 202, `address ${i}`);
      assertError(await ask('2001:db8:8::ffff:1'), 429, 'RATE_LIMITED', 'another address in the same /64');
      assert.equal((await ask('2001:db8:9::1')).status, 202, 'another /64');
    });
  });
});

describe('4. revocations survive a Redis that lost its data', { skip: skipWithoutRedis() }, () => {
  let t: TestEvently;
  let app: App;
  before(async () => {
    t = await startTestEvently({ redis: true, env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    app = t.evently.app;
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  it('after every key is gone (FLUSHALL, a restart without persistence): logged-out and deactivated tokens are never accepted', async () => {
    const [loggedOut, deactivated, live] = await Promise.all([signUp(app, unique('out')), signUp(app, unique('off')), signUp(app, unique('on'))]);
    const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.equal((await call(app, 'POST', '/api/v1/auth/logout', { token: loggedOut.access_token })).status, 204);
    assert.equal((await call(app, 'POST', `/api/v1/admin/users/${deactivated.user_id}/deactivate`, { token: admin.access_token })).status, 200);
    const me = (token: string) => call(app, 'GET', '/api/v1/auth/me', { token });
    for (const token of [loggedOut.access_token, deactivated.access_token]) assert.equal((await me(token)).status, 401);

    await dropPrefix(t.config.redis.prefix); // what FLUSHALL does to this app's keys

    // Until the list is rebuilt from the database the answer is 503, never 200; then 401 again.
    for (const [what, token] of [['logged out', loggedOut.access_token], ['deactivated', deactivated.access_token]] as const) {
      await eventually(async () => {
        const r = await me(token);
        assert.notEqual(r.status, 200, `${what}: accepted after the wipe`);
        if (r.status === 503) return undefined;
        assertError(r, 401, 'TOKEN_REVOKED', what);
        return true;
      }, `${what}: refused as revoked again`);
    }
    await eventually(async () => ((await me(live.access_token)).status === 200 ? true : undefined), 'a live token accepted again');
  });
});

describe('6. a start with EVENTLY_ADMIN_* whose account was changed since', () => {
  it('warns and starts (the change was deliberate): a demoted or deleted first admin stays so', { timeout: 120_000 }, async () => {
    const database = await createTestDatabase();
    const deputy = unique('deputy');
    const start = () => startTestEvently({ database, redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
    try {
      const first = await start();
      let rootId: string;
      try {
        const root = await login(first.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD);
        const created = await call(first.evently.app, 'POST', '/api/v1/admin/users', {
          token: root.access_token,
          body: { email: deputy, username: handle('deputy'), password: PASSWORD, role: 'admin', is_verified: true },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        rootId = (await call(first.evently.app, 'GET', '/api/v1/auth/me', { token: root.access_token })).body.id as string;
        const deputyToken = (await login(first.evently.app, deputy)).access_token;
        const demoted = await call(first.evently.app, 'PUT', `/api/v1/admin/users/${rootId}`, { token: deputyToken, body: { role: 'user' } });
        assert.equal(demoted.status, 200, 'another admin demotes the bootstrapped one');
      } finally {
        await first.close();
      }
      const second = await start();
      try {
        const [row] = await sqlRows<{ role: string }>(database.url, 'select role from auth.users where id = $1', [rootId]);
        assert.equal(row!.role, 'user', 'the start did not undo the change');
        const deputyToken = (await login(second.evently.app, deputy)).access_token;
        assert.equal((await call(second.evently.app, 'DELETE', `/api/v1/admin/users/${rootId}`, { token: deputyToken })).status, 204);
      } finally {
        await second.close();
      }
      const third = await start();
      try {
        const rows = await sqlRows(database.url, 'select 1 from auth.users where email = $1', [ADMIN_EMAIL]);
        assert.equal(rows.length, 0, 'the deleted first admin is not made again');
      } finally {
        await third.close();
      }
    } finally {
      await database.drop();
    }
  });

  it('a database that has an admin already (e.g. made by `evently admin create`) counts as done: nothing is made or refused', { timeout: 120_000 }, async () => {
    const database = await createTestDatabase();
    try {
      const first = await startTestEvently({ database, redis: 'when-available', env: NO_AUTH_LIMITS });
      try {
        await signUp(first.evently.app, unique('made-by-cli'));
        await signUp(first.evently.app, ADMIN_EMAIL); // a plain user holds the address EVENTLY_ADMIN_EMAIL names
      } finally {
        await first.close();
      }
      await sqlRows(database.url, "update auth.users set role = 'admin' where email like 'made-by-cli-%'");
      const second = await startTestEvently({ database, redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV } });
      await second.close();
      const [held] = await sqlRows<{ role: string }>(database.url, 'select role from auth.users where email = $1', [ADMIN_EMAIL]);
      assert.equal(held!.role, 'user', 'not promoted, and the start did not stop');
    } finally {
      await database.drop();
    }
  });
});
