import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../kernel/index.js';
import { authSettings, type AuthConfig } from './auth.settings.js';

const load = (env: Record<string, string>) => loadConfig({ env, envFile: false, modules: { auth: authSettings } });
const auth = (env: Record<string, string>) => load(env).slices.auth as AuthConfig;

describe('auth settings', () => {
  it('parses named rate limits, keeps defaults for names not given and turns one off', () => {
    const c = auth({ AUTH_RATE_LOGIN: 'ip=5/30s, account=off' });
    assert.deepEqual(c.rateLimits.login, { ip: { points: 5, windowMs: 30_000 }, account_ip: { points: 5, windowMs: 900_000 }, account: null });
    assert.deepEqual(c.rateLimits.register, { ip: { points: 20, windowMs: 3_600_000 }, account: { points: 5, windowMs: 3_600_000 } });
    assert.deepEqual(auth({ AUTH_RATE_LIMITS: 'false' }).rateLimits, {});
  });

  it('refuses a malformed or unknown rate limit, naming the setting', () => {
    assert.throws(() => load({ AUTH_RATE_LOGIN: 'ip=many/1m' }), /AUTH_RATE_LOGIN "ip=many\/1m" is not a rate like ip=10\/1m/);
    assert.throws(() => load({ AUTH_RATE_REGISTER: 'account_ip=5/1m' }), /AUTH_RATE_REGISTER "account_ip=5\/1m" is not one of ip=N\/window, account=N\/window/);
    assert.throws(() => load({ AUTH_RATE_LOGIN: 'email=5/1m' }), /AUTH_RATE_LOGIN "email=5\/1m" is not one of ip=N\/window, account_ip=N\/window, account=N\/window/);
    assert.throws(() => load({ AUTH_RATE_VERIFY: 'ip=0/1m' }), /AUTH_RATE_VERIFY/);
  });

  it('takes the admin email and password together or not at all; the password never shows', () => {
    assert.deepEqual(auth({ EVENTLY_ADMIN_EMAIL: 'a@b.org', EVENTLY_ADMIN_PASSWORD: 'S3cret-pass' }).admin, { email: 'a@b.org', password: 'S3cret-pass' });
    assert.throws(() => load({ EVENTLY_ADMIN_EMAIL: 'a@b.org' }), /EVENTLY_ADMIN_EMAIL and EVENTLY_ADMIN_PASSWORD .* go together/);
    assert.throws(() => load({ EVENTLY_ADMIN_PASSWORD: 'S3cret-pass' }), (e: Error) => /go together/.test(e.message) && !e.message.includes('S3cret-pass'));
  });

  it('production refuses to run auth without a signing key, but not a process without auth', () => {
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://app:Str0ng-pass@db/evently', REDIS_URL: 'redis://cache:6379', EVENT_SEALING_KEY: 'q3Jk1n4Zb0m8c2F7x9LwVt5yHs6Ue1Rp0Ao3Ki8Dg2M' };
    assert.throws(() => load(prod), /AUTH_SIGNING_KEY \(or AUTH_SIGNING_KEY_FILE\) is required in production/);
    assert.doesNotThrow(() => load({ ...prod, EVENTLY_MODULES: 'events' }));
  });

  it('accepts a one-line PEM with \\n escapes, takes the token settings from the platform and checks the session bounds', () => {
    assert.equal(auth({}).sessionsPerUser, 20);
    assert.throws(() => load({ AUTH_SESSIONS_PER_USER: '0' }), /AUTH_SESSIONS_PER_USER/);
    const c = auth({ AUTH_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----', AUTH_ISSUER: 'https://id.example', AUTH_ACCESS_TOKEN_TTL_S: '600' });
    assert.equal(c.signingKeyPem, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----');
    assert.deepEqual([c.issuer, c.accessTtlSeconds], ['https://id.example', 600]);
    assert.equal(load({}).tokens.jwksUrl, 'http://127.0.0.1:35000/.well-known/jwks.json');
    assert.throws(() => load({ AUTH_SESSION_IDLE_TIMEOUT_S: '7200', AUTH_SESSION_MAX_LIFETIME_S: '3600' }), /must not exceed AUTH_SESSION_MAX_LIFETIME_S/);
  });
});
