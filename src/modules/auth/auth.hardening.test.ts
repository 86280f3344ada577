/**
 * The fixes of the auth security review, each through HTTP on the real app (PostgreSQL + Redis
 * unless a case says otherwise), each case written so it fails without its fix:
 * - a login that checked the old password while the password changed (or was reset) opens no session;
 * - refresh and deactivate / role change / delete take their locks in one order (no deadlock, no 500),
 *   and a refresh that won the race leaves no live token behind;
 * - NUL bytes and non-ASCII addresses are the client's 400, never a 500;
 * - EVENTLY_ADMIN_EMAIL held by someone else's account stops the start instead of blessing it;
 * - revocations survive a restart on the in-process list (no Redis);
 * - change-password guesses count against the login limits;
 * - an admin un-verifying a user ends their sessions;
 * - one-time codes leave the outbox once published.
 * The suites run concurrently (each on its own users or its own app); inside a suite, one at a time.
 */
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
  NEW_PASSWORD,
  NO_AUTH_LIMITS,
  otpFor,
  PASSWORD,
  refreshWith,
  refusedWith,
  register,
  signUp,
  sqlRows,
  type Called,
  type Tokens,
} from '../../../test/support/auth.js';
import { createTestDatabase } from '../../../test/support/db.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { skipWithoutRedis } from '../../../test/support/redis.js';
import type { App } from '../../kernel/index.js';

const ME = '/api/v1/auth/me';
const USERS = '/api/v1/admin/users';

const hex = () => randomBytes(4).toString('hex');
const fresh = (label: string) => `${label}-${hex()}@example.net`;
const summary = (answers: Called[]) => answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`).join(', ');

function expectError(r: Called, status: number, code: string, what: string): void {
  assert.deepEqual([r.status, r.code], [status, code], `${what}: ${JSON.stringify(r.body)}`);
}

/** A field named in a 400's details (schema errors say `body.x`, service checks say `x`). */
function namesField(r: Called, field: string): boolean {
  return (r.body?.error?.details ?? []).some((d: { field?: string }) => d.field === field || d.field === `body.${field}`);
}

/**
 * `loops` clients signing in with `password` over and over until `stop()` was called and `tailMs`
 * more have passed. Every answer is kept, and the tokens of every login that succeeded.
 */
function loginStorm(app: App, email: string, password: string, loops = 8) {
  const answers: Called[] = [];
  const tokens: Tokens[] = [];
  let until = Infinity;
  const loop = async () => {
    while (Date.now() < until) {
      const r = await call(app, 'POST', '/api/v1/auth/login', { body: { email, password } });
      answers.push(r);
      if (r.status === 200) tokens.push(r.body as Tokens);
    }
  };
  const running = Promise.all(Array.from({ length: loops }, loop));
  return {
    answers,
    tokens,
    /** Lets the loops run `tailMs` more, then waits for them. */
    async stop(tailMs: number) {
      until = Date.now() + tailMs;
      await running;
    },
  };
}

/** Waits until the relay published the `auth.session.revoked` of `sessionId` (so a later start cannot replay it). */
async function revocationPublished(databaseUrl: string, sessionId: string): Promise<void> {
  await eventually(async () => {
    const rows = await sqlRows(databaseUrl, "select 1 from auth.outbox where type = 'auth.session.revoked' and payload->>'session_id' = $1 and published_at is not null", [sessionId]);
    return rows.length ? true : undefined;
  }, `the revocation of session ${sessionId} to be published`);
}

describe('auth hardening after the security review', { skip: skipWithoutRedis(), concurrency: true }, () => {
  let t: TestEvently;
  let app: App;
  let admin: Tokens;
  const as = (method: string, url: string, body?: unknown) => call(app, method, url, { token: admin.access_token, body });
  const q = <T = Record<string, unknown>>(text: string, params: unknown[] = []) => sqlRows<T>(t.database.url, text, params);

  before(async () => {
    // The login storms open dozens of sessions for one account: no session bound in this suite.
    t = await startTestEvently({ redis: true, env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV, AUTH_SESSIONS_PER_USER: '1000' } });
    app = t.evently.app;
    admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });

  /** A verified user made by the admin (no mail round trip), signed in. */
  async function readyUser(label: string): Promise<{ email: string; id: string; tokens: Tokens }> {
    const email = fresh(label);
    const r = await as('POST', USERS, { email, username: `${label}_${hex()}`, password: PASSWORD, is_verified: true });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return { email, id: r.body.id as string, tokens: await login(app, email) };
  }

  describe('a login racing a password change or reset', { concurrency: 1 }, () => {
    it('change-password while 8 clients sign in with the old password: afterwards only the changing session lives', async () => {
      const email = fresh('racer');
      const changer = await signUp(app, email);
      const storm = loginStorm(app, email, PASSWORD);
      // Logins in every phase (reading the user, verifying, locking) when the change lands.
      await eventually(async () => (storm.tokens.length >= 4 ? true : undefined), 'the storm to get going');
      const changed = await call(app, 'POST', '/api/v1/auth/change-password', {
        token: changer.access_token,
        body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      });
      await storm.stop(300);
      assert.equal(changed.status, 204, JSON.stringify(changed.body));

      assert.deepEqual(storm.answers.filter((a) => a.status !== 200 && a.code !== 'INVALID_CREDENTIALS'), [], `only 200 or 401 INVALID_CREDENTIALS: ${summary(storm.answers)}`);
      assert.equal(storm.answers.at(-1)?.code, 'INVALID_CREDENTIALS', 'the old password stopped working');

      const sessions = await call(app, 'GET', '/api/v1/auth/sessions', { token: changer.access_token });
      assert.equal(sessions.status, 200, JSON.stringify(sessions.body));
      assert.deepEqual(
        sessions.body.items.map((s: { id: string; current: boolean }) => [s.id, s.current]),
        [[changer.session_id, true]],
        `of ${storm.tokens.length} sessions opened with the old password, none may live on`,
      );
      const refreshed = await Promise.all(storm.tokens.map((s) => refreshWith(app, s.refresh_token)));
      assert.deepEqual(refreshed.filter((r) => r.status !== 401), [], `every collected refresh token → 401: ${summary(refreshed)}`);
      await Promise.all(storm.tokens.map((s) => refusedWith(app, s.access_token)));
      assert.equal((await call(app, 'GET', ME, { token: changer.access_token })).status, 200, 'the changing session lives on');
      await login(app, email, NEW_PASSWORD);
    });

    it('two sessions change the password at once (both know the current one): exactly one wins, the other session ends', async () => {
      const email = fresh('twice');
      const first = await signUp(app, email);
      const second = await login(app, email);
      const choices = [
        { session: first, password: 'Fir5t-new-password' },
        { session: second, password: 'Sec0nd-new-password' },
      ];
      const answers = await Promise.all(choices.map(({ session, password }) => call(app, 'POST', '/api/v1/auth/change-password', {
        token: session.access_token,
        body: { current_password: PASSWORD, new_password: password },
      })));
      const won = answers.findIndex((r) => r.status === 204);
      assert.equal(answers.filter((r) => r.status === 204).length, 1, `exactly one change wins: ${summary(answers)}`);
      const [winner, loser] = [choices[won]!, choices[1 - won]!];
      const lost = answers[1 - won]!;
      assert.ok(
        [[409, 'CONFLICT'], [400, 'INVALID_CURRENT_PASSWORD'], [401, 'TOKEN_REVOKED']].some(([s, c]) => lost.status === s && lost.code === c),
        `the other change: ${lost.status} ${JSON.stringify(lost.body)}`,
      );
      const sessions = await call(app, 'GET', '/api/v1/auth/sessions', { token: winner.session.access_token });
      assert.deepEqual(sessions.body.items.map((s: { id: string }) => s.id), [winner.session.session_id], 'only the winning session lives');
      await refusedWith(app, loser.session.access_token);
      await login(app, email, winner.password);
      for (const password of [PASSWORD, loser.password]) {
        expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email, password } }), 401, 'INVALID_CREDENTIALS', 'a password that is not the winner');
      }
    });

    it('reset-password while 8 clients sign in with the old password: afterwards no session lives at all', async () => {
      const email = fresh('resetter');
      const first = await signUp(app, email);
      const asked = await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const otp = await otpFor(app, email, { subject: /reset/i });

      const storm = loginStorm(app, email, PASSWORD);
      await eventually(async () => (storm.tokens.length >= 4 ? true : undefined), 'the storm to get going');
      const reset = await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp, new_password: NEW_PASSWORD } });
      await storm.stop(300);
      assert.equal(reset.status, 204, JSON.stringify(reset.body));

      assert.deepEqual(storm.answers.filter((a) => a.status !== 200 && a.code !== 'INVALID_CREDENTIALS'), [], `only 200 or 401 INVALID_CREDENTIALS: ${summary(storm.answers)}`);
      assert.equal(storm.answers.at(-1)?.code, 'INVALID_CREDENTIALS', 'the old password stopped working');

      const live = await as('GET', `${USERS}/${first.user_id}/sessions`);
      assert.equal(live.status, 200, JSON.stringify(live.body));
      assert.deepEqual(live.body.items, [], `of ${storm.tokens.length} sessions opened with the old password, none may live on`);
      const all = [first, ...storm.tokens];
      const refreshed = await Promise.all(all.map((s) => refreshWith(app, s.refresh_token)));
      assert.deepEqual(refreshed.filter((r) => r.status !== 401), [], `every refresh token → 401: ${summary(refreshed)}`);
      await Promise.all(all.map((s) => refusedWith(app, s.access_token)));
      await login(app, email, NEW_PASSWORD);
    });
  });

  describe('a refresh racing deactivate, role change and delete', { concurrency: 1 }, () => {
    /** A refresh that answered 200 issued a pair that must end with the session: eventually refused. */
    async function assertEnded(r: Called, what: string): Promise<void> {
      if (r.status !== 200) return;
      await refusedWith(app, r.body.access_token as string);
      const again = await refreshWith(app, r.body.refresh_token as string);
      assert.equal(again.status, 401, `${what}: the refresh token the race issued → 401, got ${again.status} ${JSON.stringify(again.body)}`);
    }

    it('15 rounds of refresh ∥ deactivate, then role change and delete: never a 5xx, no token outlives its session', async () => {
      const user = await readyUser('refresher');
      let tokens = user.tokens;
      const seen: string[] = [];
      const check = (what: string, r: Called, allowed: number[]) => {
        seen.push(`${what} ${r.status}`);
        assert.ok(allowed.includes(r.status), `${what}: ${r.status} ${JSON.stringify(r.body)} (so far: ${seen.join(', ')})`);
      };

      for (let round = 1; round <= 15; round++) {
        const [refreshed, deactivated] = await Promise.all([
          refreshWith(app, tokens.refresh_token),
          as('POST', `${USERS}/${user.id}/deactivate`),
        ]);
        check(`round ${round} refresh`, refreshed, [200, 401]);
        check(`round ${round} deactivate`, deactivated, [200]);
        await assertEnded(refreshed, `round ${round}`);
        await refusedWith(app, tokens.access_token);
        expectError(await refreshWith(app, tokens.refresh_token), 401, 'TOKEN_REVOKED', `round ${round}: the raced refresh token once deactivated`);
        check(`round ${round} activate`, await as('POST', `${USERS}/${user.id}/activate`), [200]);
        tokens = await login(app, user.email);
      }

      const [refreshed, promoted] = await Promise.all([refreshWith(app, tokens.refresh_token), as('PUT', `${USERS}/${user.id}`, { role: 'admin' })]);
      check('role change refresh', refreshed, [200, 401]);
      check('role change', promoted, [200]);
      await assertEnded(refreshed, 'role change');
      await refusedWith(app, tokens.access_token);
      tokens = await login(app, user.email);
      const me = await call(app, 'GET', ME, { token: tokens.access_token });
      assert.equal(me.body.role, 'admin', 'a new session carries the new role');

      const [lastRefresh, deleted] = await Promise.all([refreshWith(app, tokens.refresh_token), as('DELETE', `${USERS}/${user.id}`)]);
      check('delete refresh', lastRefresh, [200, 401]);
      check('delete', deleted, [204]);
      await assertEnded(lastRefresh, 'delete');
      await refusedWith(app, tokens.access_token);
      assert.equal((await refreshWith(app, tokens.refresh_token)).status, 401, 'the raced refresh token once deleted');
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: PASSWORD } }), 401, 'INVALID_CREDENTIALS', 'a deleted user');
    });
  });

  describe('text the database cannot store, addresses mail cannot reach', { concurrency: 1 }, () => {
    const NUL_EMAIL = 'nul\u0000byte@example.net';

    it('an email with a NUL byte → 400 on every route that takes one (never 500)', async () => {
      const target = await readyUser('target');
      const attempts: [string, string, unknown, string?][] = [
        ['POST', '/api/v1/auth/login', { email: NUL_EMAIL, password: PASSWORD }],
        ['POST', '/api/v1/auth/register', { email: NUL_EMAIL, username: `nul_${hex()}`, password: PASSWORD }],
        ['POST', '/api/v1/auth/verify-email', { email: NUL_EMAIL, otp: '123456' }],
        ['POST', '/api/v1/auth/resend-otp', { email: NUL_EMAIL }],
        ['POST', '/api/v1/auth/forgot-password', { email: NUL_EMAIL }],
        ['POST', '/api/v1/auth/reset-password', { email: NUL_EMAIL, otp: '123456', new_password: NEW_PASSWORD }],
        ['POST', USERS, { email: NUL_EMAIL, username: `nul_${hex()}`, password: PASSWORD }, 'admin'],
        ['PUT', `${USERS}/${target.id}`, { email: NUL_EMAIL }, 'admin'],
      ];
      for (const [method, url, body, who] of attempts) {
        const r = await call(app, method, url, { body, ...(who ? { token: admin.access_token } : {}) });
        assert.equal(r.status, 400, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
      }
      const [row] = await q<{ n: number }>("select count(*)::int as n from auth.users where email like 'nul%byte@example.net'");
      assert.equal(row!.n, 0, 'no account with that address');
      const still = await as('GET', `${USERS}/${target.id}`);
      assert.equal(still.body.email, target.email, 'the admin PUT changed nothing');
    });

    it('register with a non-ASCII address → 400 VALIDATION_FAILED naming email', async () => {
      const r = await register(app, 'jöhn@exämple.com', { username: `john_${hex()}` });
      expectError(r, 400, 'VALIDATION_FAILED', 'jöhn@exämple.com');
      assert.ok(namesField(r, 'email'), JSON.stringify(r.body));
    });

    it('a NUL byte in a query string → 400: admin user search and the dev mailbox', async () => {
      const search = await as('GET', `${USERS}?search=%00`);
      assert.equal(search.status, 400, JSON.stringify(search.body));
      const inside = await as('GET', `${USERS}?search=ab%00cd`);
      assert.equal(inside.status, 400, JSON.stringify(inside.body));
      const mailbox = await call(app, 'GET', '/dev/mailbox?to=%00');
      assert.equal(mailbox.status, 400, JSON.stringify(mailbox.body));
      const mailboxInside = await call(app, 'GET', `/dev/mailbox?to=${encodeURIComponent(NUL_EMAIL)}`);
      assert.equal(mailboxInside.status, 400, JSON.stringify(mailboxInside.body));
    });
  });

  describe('an admin un-verifying a user', { concurrency: 1 }, () => {
    it('PUT is_verified:false → their token is refused (TOKEN_REVOKED), refresh → 401, login → 403 EMAIL_NOT_VERIFIED', async () => {
      const user = await readyUser('unverified');
      assert.equal((await call(app, 'GET', ME, { token: user.tokens.access_token })).status, 200);
      const r = await as('PUT', `${USERS}/${user.id}`, { is_verified: false });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.is_verified, false);
      await refusedWith(app, user.tokens.access_token, 'TOKEN_REVOKED');
      expectError(await refreshWith(app, user.tokens.refresh_token), 401, 'TOKEN_REVOKED', 'refresh of an un-verified user');
      expectError(await call(app, 'POST', '/api/v1/auth/login', { body: { email: user.email, password: PASSWORD } }), 403, 'EMAIL_NOT_VERIFIED', 'login');
      assert.deepEqual((await as('GET', `${USERS}/${user.id}/sessions`)).body.items, [], 'no live session');
    });
  });

  describe('codes leave the outbox once published', { concurrency: 1 }, () => {
    it('auth.otp.requested and auth.password_reset.requested: published, the code erased from the row, the mail delivered', { timeout: 120_000 }, async () => {
      const email = fresh('coded');
      const registered = await register(app, email);
      assert.equal(registered.status, 202, JSON.stringify(registered.body));
      const [{ id: userId }] = (await q<{ id: string }>('select id from auth.registrations where email = $1', [email])) as [{ id: string }];
      const verifyCode = await otpFor(app, email, { subject: /verification/i });
      const verified = await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp: verifyCode, password: PASSWORD } });
      assert.equal(verified.status, 200, JSON.stringify(verified.body));
      const asked = await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const resetCode = await otpFor(app, email, { subject: /reset/i });

      type Row = { type: string; published: boolean; has_code: boolean; email: string };
      const types = ['auth.otp.requested', 'auth.password_reset.requested'];
      // The code travels as `otp_sealed` (formerly `otp` in clear): once published, neither may stay.
      const rows = () => q<Row>(
        `select type, published_at is not null as published, payload ?| array['otp', 'otp_sealed'] as has_code, payload->>'email' as email
         from auth.outbox where payload->>'user_id' = $1 and type = any($2) order by type`,
        [userId, types],
      );
      // The scheduler erases codes every 30 s at most: allow for one full period and then some.
      const erased = await eventually(async () => {
        const r = await rows();
        return r.length === 2 && r.every((x) => x.published && !x.has_code) ? r : undefined;
      }, 'both code events published and their codes erased from auth.outbox', 50_000).catch(async (err: Error) => {
        throw new Error(`${err.message}; rows now ${JSON.stringify(await rows())}`);
      });
      assert.deepEqual(erased.map((r) => [r.type, r.email]), types.map((type) => [type, email]), 'the rest of the payload stays');
      const [leak] = await q<{ n: number }>(
        `select count(*)::int as n from auth.outbox where payload->>'user_id' = $1 and (payload::text like $2 or payload::text like $3)`,
        [userId, `%${verifyCode}%`, `%${resetCode}%`],
      );
      assert.equal(leak!.n, 0, 'neither code is anywhere in the outbox');
      assert.ok((await codesFor(app, email, /verification/i)).includes(verifyCode), 'the verification mail kept its code');
      assert.ok((await codesFor(app, email, /reset/i)).includes(resetCode), 'the reset mail kept its code');
    });
  });

  describe('EVENTLY_ADMIN_EMAIL already held by an account that is not an admin', { concurrency: 1 }, () => {
    it('the first start is refused and the account stays a user; with a fresh email the admin is created', { timeout: 120_000 }, async () => {
      const database = await createTestDatabase();
      try {
        const taken = 'admin@example.net';
        const early = await startTestEvently({ database, redis: true, env: NO_AUTH_LIMITS });
        try {
          await signUp(early.evently.app, taken);
        } finally {
          await early.close();
        }

        await assert.rejects(
          startTestEvently({ database, redis: true, env: { ...NO_AUTH_LIMITS, EVENTLY_ADMIN_EMAIL: taken, EVENTLY_ADMIN_PASSWORD: ADMIN_PASSWORD } }),
          (err: Error) => {
            assert.match(err.message, /not an active, verified admin/);
            return true;
          },
        );
        const held = await sqlRows<{ role: string; is_verified: boolean }>(database.url, 'select role, is_verified from auth.users where email = $1', [taken]);
        assert.deepEqual(held, [{ role: 'user', is_verified: true }], 'the early account was not promoted');

        const bossEmail = 'boss@example.net';
        const later = await startTestEvently({ database, redis: true, env: { ...NO_AUTH_LIMITS, EVENTLY_ADMIN_EMAIL: bossEmail, EVENTLY_ADMIN_PASSWORD: ADMIN_PASSWORD } });
        try {
          const boss = await login(later.evently.app, bossEmail, ADMIN_PASSWORD);
          const me = await call(later.evently.app, 'GET', ME, { token: boss.access_token });
          assert.deepEqual([me.body.email, me.body.role, me.body.is_verified], [bossEmail, 'admin', true]);
          const early = await call(later.evently.app, 'GET', `${USERS}?search=${encodeURIComponent(taken)}`, { token: boss.access_token });
          assert.deepEqual(early.body.items.map((u: { email: string; role: string }) => [u.email, u.role]), [[taken, 'user']]);
        } finally {
          await later.close();
        }
      } finally {
        await database.drop();
      }
    });
  });

  describe('revocations across a restart on the in-process list (no Redis)', { concurrency: 1 }, () => {
    it('a token logged out before the restart → 401 TOKEN_REVOKED at once after it; a live one → 200', { timeout: 120_000 }, async () => {
      const database = await createTestDatabase();
      try {
        const email = fresh('restart');
        const first = await startTestEvently({ database, redis: false, env: NO_AUTH_LIMITS });
        let out: Tokens & { user_id: string };
        let kept: Tokens;
        try {
          assert.equal(first.config.redis.url, undefined, 'this case runs without Redis');
          out = await signUp(first.evently.app, email);
          kept = await login(first.evently.app, email);
          const bye = await call(first.evently.app, 'POST', '/api/v1/auth/logout', { token: out.access_token });
          assert.equal(bye.status, 204, JSON.stringify(bye.body));
          await refusedWith(first.evently.app, out.access_token);
          // Published before the stop: the next start has no event to replay, only the database to reload from.
          await revocationPublished(database.url, out.session_id);
        } finally {
          await first.close();
        }

        const second = await startTestEvently({ database, redis: false, env: NO_AUTH_LIMITS });
        try {
          // No polling: the list is filled before the first request is served.
          expectError(await call(second.evently.app, 'GET', ME, { token: out.access_token }), 401, 'TOKEN_REVOKED', 'the logged-out token after the restart');
          const live = await call(second.evently.app, 'GET', ME, { token: kept.access_token });
          assert.equal(live.status, 200, JSON.stringify(live.body));
          assert.equal(live.body.email, email);
        } finally {
          await second.close();
        }
      } finally {
        await database.drop();
      }
    });
  });

  describe('revocations of a deleted user across a restart (no Redis)', { concurrency: 1 }, () => {
    it(
      "a deleted admin's token → 401 TOKEN_REVOKED after the restart, not the admin routes",
      { timeout: 120_000 },
      async () => {
        const database = await createTestDatabase();
        const env = { ...NO_AUTH_LIMITS, ...ADMIN_ENV };
        try {
          const deputyEmail = fresh('deputy');
          let deputy: Tokens;
          const first = await startTestEvently({ database, redis: false, env });
          try {
            const fapp = first.evently.app;
            const root = await login(fapp, ADMIN_EMAIL, ADMIN_PASSWORD);
            const made = await call(fapp, 'POST', USERS, { token: root.access_token, body: { email: deputyEmail, username: `deputy_${hex()}`, password: PASSWORD, role: 'admin', is_verified: true } });
            assert.equal(made.status, 201, JSON.stringify(made.body));
            deputy = await login(fapp, deputyEmail);
            assert.equal((await call(fapp, 'GET', USERS, { token: deputy.access_token })).status, 200, 'the deputy is an admin');
            const gone = await call(fapp, 'DELETE', `${USERS}/${made.body.id as string}`, { token: root.access_token });
            assert.equal(gone.status, 204, JSON.stringify(gone.body));
            expectError(await call(fapp, 'GET', USERS, { token: deputy.access_token }), 401, 'TOKEN_REVOKED', 'the deleted admin before the restart');
            await revocationPublished(database.url, deputy.session_id);
          } finally {
            await first.close();
          }

          const second = await startTestEvently({ database, redis: false, env });
          try {
            expectError(await call(second.evently.app, 'GET', USERS, { token: deputy.access_token }), 401, 'TOKEN_REVOKED', 'the deleted admin after the restart');
          } finally {
            await second.close();
          }
        } finally {
          await database.drop();
        }
      },
    );
  });

  describe('change-password guesses count against the login limits', { concurrency: 1 }, () => {
    let limited: TestEvently;
    before(async () => {
      limited = await startTestEvently({ redis: true, env: { AUTH_RATE_LOGIN: 'ip=100/1m,account_ip=3/1m', AUTH_OTP_RESEND_COOLDOWN_S: '0' } });
    }, { timeout: 60_000 });
    after(() => limited?.close(), { timeout: 60_000 });

    it('3 wrong current passwords → 400 INVALID_CURRENT_PASSWORD; the 4th → 429 RATE_LIMITED with Retry-After, even the right one', async () => {
      const lapp = limited.evently.app;
      const email = fresh('guesser');
      const user = await signUp(lapp, email); // its login is forgiven: a full budget left
      const change = (current: string) => call(lapp, 'POST', '/api/v1/auth/change-password', {
        token: user.access_token,
        body: { current_password: current, new_password: NEW_PASSWORD },
      });
      for (let i = 1; i <= 3; i++) {
        const r = await change(`Wr0ng-guess-${i}`);
        expectError(r, 400, 'INVALID_CURRENT_PASSWORD', `guess ${i}`);
        assert.ok(namesField(r, 'current_password'), JSON.stringify(r.body));
      }
      const fourth = await change('Wr0ng-guess-4');
      expectError(fourth, 429, 'RATE_LIMITED', 'the 4th guess');
      const retryAfter = Number(fourth.headers['retry-after']);
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(fourth.headers['retry-after'])}`);
      expectError(await change(PASSWORD), 429, 'RATE_LIMITED', 'the right password once over the limit');
      assert.equal((await call(lapp, 'GET', ME, { token: user.access_token })).status, 200, 'the session itself is untouched');
      // The password did not change: the guesses share this client's sign-in budget on the account.
      expectError(await call(lapp, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } }), 429, 'RATE_LIMITED', 'login on the same account from the same client');
    });
  });
});
