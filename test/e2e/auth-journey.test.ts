import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from '../support/suite.js';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWK, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import type { DomainEvent, ModuleDefinition } from '../../src/kernel/index.js';
import { ALL_MODULES, type MailConfig } from '../../src/modules/index.js';
import { startTestSmtp, type TestSmtp } from '../support/smtp.js';
import { call, eventually, jwtClaims, login, NO_AUTH_LIMITS, PASSWORD, register, signUp, type Called, type Tokens } from '../support/auth.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { extendModule } from '../support/modules.js';
import { skipWithoutRedis } from '../support/redis.js';

/**
 * The whole account journey through HTTP on the real app: register, the code by SMTP and in the dev
 * mailbox, verify, welcome mail, login, me, refresh rotation with reuse detection, logout, and the
 * revocation reaching a route of another module. Once on Redis, once on the in-process adapters.
 */

const TEST = { timeout: 90_000 };
const WHOAMI = '/api/v1/events/_whoami';
const SESSION_REVOKED = 'auth.session.revoked';

interface DevMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  template: string;
}

/**
 * The events module as it is, plus one protected route (no other module has one yet) and a consumer
 * that records the revocations it receives over the bus.
 */
function eventsWithProbe(revocationsSeen: DomainEvent[]): ModuleDefinition {
  return extendModule(ALL_MODULES.events, (parts, ctx) => ({
    ...parts,
    async routes(app) {
      await parts.routes?.(app);
      app.get(WHOAMI, { preHandler: ctx.access.requireAuth }, async (req) => ({ user_id: req.auth!.userId, session_id: req.auth!.sessionId }));
    },
    consumers: [
      ...(parts.consumers ?? []),
      { name: 'events.test-revocation-probe', topics: [SESSION_REVOKED], handle: async (event) => void revocationsSeen.push(event) },
    ],
  }));
}

/** The six digits after "verify your email address:" (the text part of the verification mail). */
function verificationCode(text: string): string | undefined {
  return /verify your email address: (\d{6})\r?\n/.exec(text)?.[1];
}

async function devMailbox(t: TestEvently, to: string): Promise<DevMail[]> {
  const r = await call(t.evently.app, 'GET', `/dev/mailbox?to=${encodeURIComponent(to)}&limit=100`);
  assert.equal(r.status, 200, `GET /dev/mailbox: ${JSON.stringify(r.body)}`);
  return r.body.items as DevMail[];
}

/** Polls `request` until it answers `status` (and `code`); on time-out, says what it answered last. */
async function answersEventually(request: () => Promise<Called>, status: number, code: string | undefined, what: string): Promise<Called> {
  let last: Called | undefined;
  try {
    return await eventually(async () => {
      last = await request();
      return last.status === status && (code === undefined || last.code === code) ? last : undefined;
    }, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer: ${last?.status} ${JSON.stringify(last?.body)}`, { cause: err });
  }
}

function assertRefused(r: Called, code: string, what: string): void {
  assert.deepEqual([r.status, r.code], [401, code], `${what}: ${r.status} ${JSON.stringify(r.body)}`);
}

const uniqueEmail = (label: string) => `${label}-${randomBytes(5).toString('hex')}@example.com`;

async function journey(t: TestEvently, smtp: TestSmtp, revocationsSeen: DomainEvent[]): Promise<void> {
  const app = t.evently.app;
  const me = (token: string) => call(app, 'GET', '/api/v1/auth/me', { token });
  const whoami = (token: string) => call(app, 'GET', WHOAMI, { token });
  const refresh = (refresh_token: string) => call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token } });
  const email = uniqueEmail('journey');

  // --- register: 202 whatever the address (no enumeration); the account exists, unverified
  const reg = await register(app, email, { full_name: 'Ada Journey' });
  assert.equal(reg.status, 202, `register: ${JSON.stringify(reg.body)}`);
  assert.deepEqual(Object.keys(reg.body), ['message']);
  const early = await call(app, 'POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
  assert.deepEqual([early.status, early.code], [403, 'EMAIL_NOT_VERIFIED']);

  // --- the code arrives over a real SMTP conversation…
  const isCodeMail = (body: string) => /^Subject: Your Evently verification code\r?$/m.test(body);
  const smtpCodeMail = await eventually(async () => smtp.to(email).find((m) => isCodeMail(m.body)), `the verification code to ${email} over SMTP`);
  assert.deepEqual(smtpCodeMail.to, [email]);
  assert.ok((t.config.slices.notifications as MailConfig).from.includes(smtpCodeMail.from), `envelope sender ${smtpCodeMail.from} is MAIL_FROM`);
  assert.match(smtpCodeMail.body, /Content-Type: text\/html/);
  const smtpCode = verificationCode(smtpCodeMail.body);
  assert.ok(smtpCode, `a 6-digit code in the SMTP mail:\n${smtpCodeMail.body}`);

  // --- …and in the dev mailbox, with the same code
  const devCodeMail = await eventually(async () => (await devMailbox(t, email)).find((m) => m.template === 'verify_email'), `the verification code to ${email} in the dev mailbox`);
  assert.equal(devCodeMail.to, email);
  assert.equal(devCodeMail.subject, 'Your Evently verification code');
  assert.equal(verificationCode(devCodeMail.text), smtpCode, 'the dev mailbox and SMTP carry the same code');
  assert.ok(devCodeMail.html.includes(`>${smtpCode}<`), 'the HTML part carries the code too');
  assert.equal(smtp.to(email).filter((m) => isCodeMail(m.body)).length, 1, 'one code mail over SMTP');
  assert.equal((await devMailbox(t, email)).filter((m) => m.template === 'verify_email').length, 1, 'one code mail in the dev mailbox');

  // --- verify: a wrong code is refused (and counted), the mailed one verifies
  const wrong = String((Number(smtpCode) + 1) % 1_000_000).padStart(6, '0');
  const bad = await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp: wrong, password: PASSWORD } });
  assert.deepEqual([bad.status, bad.code], [400, 'OTP_INVALID']);
  const verified = await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp: smtpCode, password: PASSWORD } });
  assert.equal(verified.status, 200, `verify-email: ${JSON.stringify(verified.body)}`);

  // --- the welcome mail (auth.user.verified) arrives both ways
  const smtpWelcome = await eventually(async () => smtp.to(email).find((m) => /^Subject: Welcome to Evently\r?$/m.test(m.body)), `the welcome mail to ${email} over SMTP`);
  assert.match(smtpWelcome.body, /Your email address is verified/);
  const devWelcome = await eventually(async () => (await devMailbox(t, email)).find((m) => m.template === 'welcome'), `the welcome mail to ${email} in the dev mailbox`);
  assert.equal(devWelcome.subject, 'Welcome to Evently');
  assert.match(devWelcome.text, /Your email address is verified/);

  // --- login, me; the token opens a route of another module
  const first = await login(app, email);
  const userId = jwtClaims(first.access_token).sub as string;
  assert.match(first.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.match(first.refresh_token, /^rt_/);
  const mine = await me(first.access_token);
  assert.equal(mine.status, 200, `me: ${JSON.stringify(mine.body)}`);
  assert.equal(mine.body.id, userId);
  assert.equal(mine.body.email, email);
  assert.equal(mine.body.full_name, 'Ada Journey');
  assert.equal(mine.body.is_verified, true);
  assert.deepEqual((await whoami(first.access_token)).body, { user_id: userId, session_id: first.session_id });

  // --- refresh: a new pair for the same session, and it works
  const rotated = await refresh(first.refresh_token);
  assert.equal(rotated.status, 200, `refresh: ${JSON.stringify(rotated.body)}`);
  const second = rotated.body as Tokens;
  assert.equal(second.session_id, first.session_id);
  assert.notEqual(second.refresh_token, first.refresh_token);
  assert.notEqual(second.access_token, first.access_token);
  assert.equal((await me(second.access_token)).status, 200);

  // --- the old refresh token again: reuse. Refused, and the whole session ends with it
  assertRefused(await refresh(first.refresh_token), 'TOKEN_REVOKED', 'the used refresh token presented again');
  // auth put the session on the revocation list before answering: refused at once, not eventually
  assertRefused(await me(second.access_token), 'TOKEN_REVOKED', 'the new access token after the reuse');
  assertRefused(await me(first.access_token), 'TOKEN_REVOKED', 'the first access token after the reuse');
  assertRefused(await refresh(second.refresh_token), 'TOKEN_REVOKED', 'the new refresh token after the reuse');
  assertRefused(await refresh(second.refresh_token), 'TOKEN_REVOKED', 'the new refresh token presented a second time');
  await answersEventually(() => whoami(second.access_token), 401, 'TOKEN_REVOKED', 'the events module to refuse the reused session');
  const reuse = await eventually(async () => revocationsSeen.find((e) => (e.payload as { session_id: string }).session_id === first.session_id), 'the reuse revocation on the bus');
  // Its version: 1 at login, 2 after the rotation, 3 revoked.
  assert.deepEqual(reuse.payload, { session_id: first.session_id, user_id: userId, reason: 'refresh_token_reuse', entity_version: 3 });

  // --- sign in again: a new session, unaffected by the revoked one
  const third = await login(app, email);
  assert.notEqual(third.session_id, first.session_id);
  assert.equal((await me(third.access_token)).status, 200);
  const open = await whoami(third.access_token);
  assert.equal(open.status, 200, `whoami before logout: ${JSON.stringify(open.body)}`);
  assert.deepEqual(open.body, { user_id: userId, session_id: third.session_id });

  // --- logout: the session's tokens stop working everywhere, another module included
  const out = await call(app, 'POST', '/api/v1/auth/logout', { token: third.access_token });
  assert.equal(out.status, 204, `logout: ${JSON.stringify(out.body)}`);
  assert.equal(out.body, undefined);
  await answersEventually(() => whoami(third.access_token), 401, 'TOKEN_REVOKED', 'the events module to refuse the logged-out token');
  assertRefused(await me(third.access_token), 'TOKEN_REVOKED', 'me after logout');
  assertRefused(await refresh(third.refresh_token), 'TOKEN_REVOKED', 'the refresh token of the logged-out session');
  const logout = await eventually(async () => revocationsSeen.find((e) => (e.payload as { session_id: string }).session_id === third.session_id), 'the logout revocation on the bus');
  assert.deepEqual(logout.payload, { session_id: third.session_id, user_id: userId, reason: 'logout', entity_version: 2 });
  assert.equal(revocationsSeen.filter((e) => e.type === SESSION_REVOKED).length, 2, 'one revocation event per ended session');

  // the password still works: a fresh sign-in after all this is fine
  const fourth = await login(app, email);
  assert.equal((await whoami(fourth.access_token)).status, 200);
}

function journeySuite(redis: boolean): void {
  let t: TestEvently | undefined;
  let smtp: TestSmtp | undefined;
  const revocationsSeen: DomainEvent[] = [];
  before(async () => {
    smtp = await startTestSmtp();
    t = await startTestEvently({
      redis,
      env: { ...NO_AUTH_LIMITS, SMTP_URL: smtp.url, EVENTLY_DEV_MAILBOX: 'true', OUTBOX_POLL_MS: '50' },
      modules: { events: eventsWithProbe(revocationsSeen) },
    });
  });
  after(async () => {
    try {
      await t?.close();
    } finally {
      await smtp?.close();
    }
  });

  it('register → code by SMTP and dev mailbox → verify → welcome → login → me → refresh and reuse → login → logout → refused by another module', TEST, async () => {
    assert.equal(t!.evently.adapters.revocations.kind, redis ? 'redis' : 'memory');
    await journey(t!, smtp!, revocationsSeen);
  });
}

describe('auth journey on Redis (bus streams, BullMQ, shared revocation list)', { skip: skipWithoutRedis() }, () => journeySuite(true));

describe('auth journey on the in-process adapters', () => journeySuite(false));

describe('access tokens verified the way a process without the auth module does: the published JWKS', () => {
  let t: TestEvently | undefined;
  before(async () => {
    t = await startTestEvently({ listen: true, env: NO_AUTH_LIMITS });
  });
  after(() => t?.close());

  it('GET /.well-known/jwks.json verifies the access token (remote and local key sets): typ at+jwt and the claims', TEST, async () => {
    const { app, url: base } = t!.evently;
    assert.ok(base, 'Evently listens');
    const user = await signUp(app, uniqueEmail('jwks'));

    const jwksUrl = new URL('/.well-known/jwks.json', base);
    const res = await fetch(jwksUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=\d+/);
    const jwks = (await res.json()) as { keys: JWK[] };
    assert.ok(jwks.keys.length >= 1, 'at least the current key');
    for (const key of jwks.keys) {
      assert.ok(key.kid && key.alg && key.kty, `kid, alg and kty on ${JSON.stringify(key)}`);
      assert.equal(key.use, 'sig');
      assert.equal(key.d, undefined, 'no private part is published');
    }

    const header = decodeProtectedHeader(user.access_token);
    const published = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(published, `the token's kid ${header.kid} is published`);
    assert.equal(header.alg, published.alg);

    const { issuer, audience, accessTtlSeconds } = t!.config.tokens;
    const options: JWTVerifyOptions = { issuer, audience, typ: 'at+jwt', algorithms: ['EdDSA', 'ES256'] };
    const keySets: [string, JWTVerifyGetKey][] = [
      ['createRemoteJWKSet', createRemoteJWKSet(jwksUrl)],
      ['createLocalJWKSet', createLocalJWKSet(jwks)],
    ];
    const now = Math.floor(Date.now() / 1000);
    for (const [how, keys] of keySets) {
      const { payload, protectedHeader } = await jwtVerify(user.access_token, keys, options);
      assert.equal(protectedHeader.typ, 'at+jwt', how);
      assert.equal(protectedHeader.kid, published.kid, how);
      assert.equal(payload.sub, user.user_id, how);
      assert.equal(payload.sid, user.session_id, how);
      assert.equal(payload.role, 'user', how);
      assert.equal(payload.iss, issuer, how);
      assert.equal(payload.aud, audience, how);
      assert.equal(payload.token_type, 'access', how);
      assert.match(String(payload.jti), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, how);
      assert.equal(typeof payload.iat, 'number', how);
      assert.ok(Math.abs(payload.iat! - now) <= 60, `${how}: iat ${payload.iat} is about now (${now})`);
      assert.equal(payload.exp! - payload.iat!, accessTtlSeconds, `${how}: lives AUTH_ACCESS_TOKEN_TTL_S`);

      // The same key set refuses a token whose claims were edited after signing.
      const [h, , s] = user.access_token.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url')}.${s}`;
      await assert.rejects(jwtVerify(forged, keys, options), `${how}: a forged role fails the signature`);
    }

    // Two access tokens never share a jti, even for the same user and session.
    const rotated = await call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: user.refresh_token } });
    assert.equal(rotated.status, 200);
    const next = await jwtVerify((rotated.body as Tokens).access_token, createRemoteJWKSet(jwksUrl), options);
    assert.equal(next.payload.sid, user.session_id);
    assert.notEqual(next.payload.jti, decodeJti(user.access_token));
  });
});

function decodeJti(token: string): unknown {
  return (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti?: unknown }).jti;
}
