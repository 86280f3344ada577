import { Registry } from 'prom-client';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, createRemoteJWKSet, type JWK } from 'jose';
import { createLogger } from '../logger.js';
import { createServer, type App } from '../http/server.js';
import {
  createAuthGuards,
  createTokenVerifier,
  generateSigningKey,
  localKeySet,
  signAccessToken,
  verificationJwkFromPem,
  type SigningKey,
  type VerifiedAccess,
} from './index.js';

const settings = { issuer: 'evently', audience: 'evently-api', ttlSeconds: 900 };
const claims = { userId: 'u-1', sessionId: 's-1', role: 'user' };

async function appWith(jwks: JWK[], revoked: Set<string> = new Set()): Promise<App> {
  const app = await createServer({
    logger: createLogger({ level: 'silent', service: 'test' }),
    bodyLimit: 1024,
    requestTimeoutMs: 30_000,
    corsOrigins: [],
    trustProxy: false,
    docs: false,
    info: { name: 'test', version: '0', modules: [], roles: [], mode: 'all-in-one' },
    registry: new Registry(),
    checks: [],
    readinessTimeoutMs: 100,
  });
  const guards = createAuthGuards(createTokenVerifier(localKeySet(jwks), settings), {
    isRevoked: async (t) => revoked.has(t.sessionId),
  });
  app.get('/me', { preHandler: guards.requireAuth }, async (request) => request.auth as VerifiedAccess);
  app.get('/admin', { preHandler: guards.requireRole('admin') }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

const call = async (app: App, url: string, token?: string) => {
  const res = await app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.statusCode, code: (res.json() as { error?: { code: string } }).error?.code, body: res.json(), headers: res.headers };
};

describe('access tokens and route guards', () => {
  let key: SigningKey;
  let other: SigningKey;
  let app: App;
  const revoked = new Set<string>();

  before(async () => {
    key = (await generateSigningKey('EdDSA')).key;
    other = (await generateSigningKey('EdDSA')).key;
    app = await appWith([key.publicJwk], revoked);
  });
  after(() => app?.close());
  /** A well-formed access token signed with the real key, with the given times (seconds). */
  const signedAt = (iat: number, exp: number) =>
    new SignJWT({ sid: 's-1', role: 'user', token_type: 'access' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setSubject('u-1').setIssuer(settings.issuer).setAudience(settings.audience)
      .setIssuedAt(iat).setExpirationTime(exp).setJti('j')
      .sign(key.privateKey);

  it('accepts a valid token and exposes its claims', async () => {
    const { token } = await signAccessToken(key, claims, settings);
    const r = await call(app, '/me', token);
    assert.equal(r.status, 200);
    assert.equal(r.body.userId, 'u-1');
    assert.equal(r.body.sessionId, 's-1');
    assert.equal(r.body.role, 'user');
  });

  it('missing token → 401 UNAUTHENTICATED with a Bearer challenge', async () => {
    const r = await call(app, '/me');
    assert.deepEqual([r.status, r.code], [401, 'UNAUTHENTICATED']);
    assert.equal(r.headers['www-authenticate'], 'Bearer');
  });

  it('malformed token → 401 TOKEN_INVALID', async () => {
    assert.deepEqual(Object.values(await call(app, '/me', 'not-a-jwt')).slice(0, 2), [401, 'TOKEN_INVALID']);
    const r = await app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Basic dTpw' } });
    assert.equal(r.json().error.code, 'TOKEN_INVALID');
  });

  it('alg none → 401 TOKEN_INVALID', async () => {
    const unsigned = new UnsecuredJWT({ sid: 's-1', role: 'admin', token_type: 'access' })
      .setSubject('u-1').setIssuer(settings.issuer).setAudience(settings.audience).setIssuedAt().setExpirationTime('5m').setJti('j').encode();
    const r = await call(app, '/admin', unsigned);
    assert.deepEqual([r.status, r.code], [401, 'TOKEN_INVALID']);
  });

  it('signed by an unknown key → 401 TOKEN_INVALID', async () => {
    const { token } = await signAccessToken(other, claims, settings);
    assert.deepEqual([(await call(app, '/me', token)).status, (await call(app, '/me', token)).code], [401, 'TOKEN_INVALID']);
  });

  it('expired → 401 TOKEN_EXPIRED', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signedAt(now - 3600, now - 60);
    const r = await call(app, '/me', token);
    assert.deepEqual([r.status, r.code], [401, 'TOKEN_EXPIRED']);
  });

  it('a tampered role claim → 401 TOKEN_INVALID', async () => {
    const { token } = await signAccessToken(key, claims, settings);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.role = 'admin';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const r = await call(app, '/admin', forged);
    assert.deepEqual([r.status, r.code], [401, 'TOKEN_INVALID']);
  });

  it('a JWT that is not an access token (other typ, other token_type, other audience) → 401 TOKEN_INVALID', async () => {
    const base = () => new SignJWT({ sid: 's-1', role: 'user', token_type: 'access' })
      .setSubject('u-1').setIssuer(settings.issuer).setAudience(settings.audience).setIssuedAt().setExpirationTime('5m').setJti('j');
    const noTyp = await base().setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
    const refreshType = await new SignJWT({ sid: 's-1', role: 'user', token_type: 'refresh' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setSubject('u-1').setIssuer(settings.issuer).setAudience(settings.audience).setIssuedAt().setExpirationTime('5m').setJti('j').sign(key.privateKey);
    const otherAudience = await base().setAudience('someone-else').setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
    for (const token of [noTyp, refreshType, otherAudience]) {
      const r = await call(app, '/me', token);
      assert.deepEqual([r.status, r.code], [401, 'TOKEN_INVALID']);
    }
  });

  it('wrong issuer, a missing sid or jti, or an iat in the future → 401 TOKEN_INVALID', async () => {
    const now = Math.floor(Date.now() / 1000);
    const make = (payload: Record<string, unknown>, edit: (j: SignJWT) => SignJWT) =>
      edit(new SignJWT({ role: 'user', token_type: 'access', ...payload })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setSubject('u-1').setIssuer(settings.issuer).setAudience(settings.audience).setIssuedAt().setExpirationTime('5m'))
        .sign(key.privateKey);
    const tokens = [
      await make({ sid: 's-1' }, (j) => j.setJti('j').setIssuer('someone-else')),
      await make({}, (j) => j.setJti('j')),
      await make({ sid: 's-1' }, (j) => j),
      await make({ sid: 's-1' }, (j) => j.setJti('j').setIssuedAt(now + 3600).setExpirationTime(now + 7200)),
    ];
    for (const token of tokens) {
      const r = await call(app, '/me', token);
      assert.deepEqual([r.status, r.code], [401, 'TOKEN_INVALID']);
    }
  });

  it('a token living longer than the configured lifetime is refused even before its exp', async () => {
    const now = Math.floor(Date.now() / 1000);
    const longLived = await signedAt(now - settings.ttlSeconds - 60, now + 3600);
    const r = await call(app, '/me', longLived);
    assert.equal(r.status, 401);
  });

  it('a token verified once is refused again once its life ends (the verification cache keeps no token alive)', async () => {
    const now = Math.floor(Date.now() / 1000);
    // Issued so that its configured lifetime ends about a second from now (lifetime + 5 s age slack + 5 s clock tolerance).
    const nearlyOld = await signedAt(now - settings.ttlSeconds - 9, now + 3600);
    assert.equal((await call(app, '/me', nearlyOld)).status, 200);
    assert.equal((await call(app, '/me', nearlyOld)).status, 200, 'served from the cache');
    // Past the end of its life by jwtVerify's whole-second reckoning too.
    await new Promise((r) => setTimeout(r, 2_600));
    const r = await call(app, '/me', nearlyOld);
    assert.deepEqual([r.status, r.code], [401, 'TOKEN_EXPIRED']);
  });

  it('an opaque refresh token used as an access token → 401 TOKEN_INVALID', async () => {
    const r = await call(app, '/me', 'rt_3q2-7wHXkVjZp8cYq0hJkq4m1Z5c9aL2bNx');
    assert.deepEqual([r.status, r.code], [401, 'TOKEN_INVALID']);
  });

  it('a user calling an admin route → 403 FORBIDDEN; an admin passes', async () => {
    const { token } = await signAccessToken(key, claims, settings);
    assert.deepEqual(Object.values(await call(app, '/admin', token)).slice(0, 2), [403, 'FORBIDDEN']);
    const admin = await signAccessToken(key, { ...claims, role: 'admin' }, settings);
    assert.equal((await call(app, '/admin', admin.token)).status, 200);
  });

  it('a revoked session → 401 TOKEN_REVOKED before the token expires', async () => {
    const { token } = await signAccessToken(key, { ...claims, sessionId: 's-revoked' }, settings);
    assert.equal((await call(app, '/me', token)).status, 200);
    revoked.add('s-revoked');
    const r = await call(app, '/me', token);
    assert.deepEqual([r.status, r.code], [401, 'TOKEN_REVOKED']);
  });

  it('after a rotation the previous key still verifies its tokens', async () => {
    const { key: previous, pem } = await generateSigningKey('ES256');
    const rotated = await appWith([key.publicJwk, await verificationJwkFromPem(pem)]);
    try {
      const old = await signAccessToken(previous, claims, settings);
      const fresh = await signAccessToken(key, claims, settings);
      assert.equal((await call(rotated, '/me', old.token)).status, 200);
      assert.equal((await call(rotated, '/me', fresh.token)).status, 200);
    } finally {
      await rotated.close();
    }
  });
});

describe('verification against a published JWKS', () => {
  let server: Server;
  let keys: JWK[] = [];
  let fetches = 0;
  before(async () => {
    server = createHttpServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('caches the key set and refetches it when a token names an unknown kid', async () => {
    const first = (await generateSigningKey()).key;
    keys = [first.publicJwk];
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
    const verifier = createTokenVerifier(createRemoteJWKSet(url, { cooldownDuration: 0 }), settings);
    for (let i = 0; i < 3; i++) await verifier.verify((await signAccessToken(first, claims, settings)).token);
    assert.equal(fetches, 1);
    const second = (await generateSigningKey()).key;
    keys = [second.publicJwk, first.publicJwk];
    const v = await verifier.verify((await signAccessToken(second, claims, settings)).token);
    assert.equal(v.userId, 'u-1');
    assert.equal(fetches, 2);
  });
});
