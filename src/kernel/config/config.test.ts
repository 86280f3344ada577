import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, assertCanRunModules, ConfigError } from './index.js';

const load = (env: Record<string, string>, envFile: string | false = false) => loadConfig({ env, envFile });

describe('config', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'evently-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to all-in-one on port 3000 with embedded PostgreSQL and in-process adapters', () => {
    const c = load({});
    assert.equal(c.allInOne, true);
    assert.equal(c.http.port, 3000);
    assert.deepEqual(c.modules, ['auth', 'events', 'bookings', 'analytics', 'notifications']);
    assert.deepEqual(c.roles, ['http', 'worker', 'scheduler']);
    assert.equal(c.database.url, undefined);
    assert.equal(c.redis.url, undefined);
    assert.ok(path.isAbsolute(c.database.dataDir) && c.database.dataDir.endsWith('.evently'));
  });

  it('is frozen, nested objects included', () => {
    const c = load({});
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.http) && Object.isFrozen(c.modules));
    assert.throws(() => ((c.http as { port: number }).port = 1), TypeError);
  });

  it('names every bad setting and what is wrong with it', () => {
    assert.throws(
      () => load({ PORT: 'eighty', LOG_LEVEL: 'loud', EVENTLY_MODULES: 'auth,payments', REDIS_URL: 'http://x' }),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /PORT must be a whole number \(got "eighty"\)/);
        assert.match(e.message, /LOG_LEVEL must be one of/);
        assert.match(e.message, /EVENTLY_MODULES unknown value\(s\) payments/);
        assert.match(e.message, /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
        return true;
      },
    );
  });

  it('never echoes a secret value in an error', () => {
    assert.throws(() => load({ DATABASE_URL: 'mysql://u:hunter2@h/db' }), (e: Error) => {
      assert.match(e.message, /DATABASE_URL must be a postgres/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  });

  it('reads NAME_FILE secrets without the trailing newline, and refuses both forms at once', () => {
    const file = path.join(dir, 'db-url');
    writeFileSync(file, 'postgres://u:s3cret-Value@db:5432/evently\n');
    assert.equal(load({ DATABASE_URL_FILE: file }).database.url, 'postgres://u:s3cret-Value@db:5432/evently');
    assert.throws(() => load({ DATABASE_URL_FILE: file, DATABASE_URL: 'postgres://x@y/z' }), /either DATABASE_URL or DATABASE_URL_FILE/);
    assert.throws(() => load({ DATABASE_URL_FILE: path.join(dir, 'missing') }), /cannot read DATABASE_URL_FILE \(ENOENT\)/);
  });

  it('reads .env with lower precedence than the environment', () => {
    const file = path.join(dir, '.env');
    writeFileSync(file, 'PORT=4100\nLOG_LEVEL=debug\n');
    const c = load({ PORT: '4200' }, file);
    assert.equal(c.http.port, 4200);
    assert.equal(c.log.level, 'debug');
  });

  it('command-line overrides win over the environment', () => {
    const c = loadConfig({ env: { PORT: '4200' }, envFile: false, overrides: { PORT: '4300' } });
    assert.equal(c.http.port, 4300);
  });

  it('split mode takes the module port and refuses to start without Redis', () => {
    const noRedis = load({ EVENTLY_MODULES: 'bookings' });
    assert.throws(() => assertCanRunModules(noRedis), /REDIS_URL is required in split mode \(modules bookings\)/);
    const c = load({ EVENTLY_MODULES: 'bookings', REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.equal(c.allInOne, false);
    assert.equal(c.http.port, 35002);
    assert.doesNotThrow(() => assertCanRunModules(c));
  });

  it('without Redis, one process must play every role', () => {
    assert.throws(() => assertCanRunModules(load({ EVENTLY_ROLES: 'http' })), /REDIS_URL is required when a process does not play every role \(missing worker, scheduler\)/);
    assert.doesNotThrow(() => assertCanRunModules(load({ EVENTLY_ROLES: 'http,worker,scheduler' })));
    assert.doesNotThrow(() => assertCanRunModules(load({ EVENTLY_ROLES: 'http', REDIS_URL: 'redis://127.0.0.1:6379' })));
  });

  it('rejects unknown roles', () => {
    assert.throws(() => load({ EVENTLY_ROLES: 'http,cron' }), /EVENTLY_ROLES unknown value\(s\) cron/);
  });

  it('production refuses to start without real secrets', () => {
    assert.throws(() => load({ NODE_ENV: 'production' }), (e: Error) => {
      assert.match(e.message, /DATABASE_URL is required in production/);
      assert.match(e.message, /REDIS_URL is required in production/);
      return true;
    });
    assert.throws(
      () => load({ NODE_ENV: 'production', DATABASE_URL: 'postgres://evently:password@db/evently', REDIS_URL: 'redis://redis:6379' }),
      /DATABASE_URL holds a placeholder secret/,
    );
    assert.throws(
      () => load({ NODE_ENV: 'production', DATABASE_URL: 'postgres://evently:Zq8-long-random@db/evently', REDIS_URL: 'redis://redis:6379' }),
      /SMTP_URL is required in production to run the notifications module/,
    );
    const ok = load({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://evently:Zq8-long-random@db/evently',
      REDIS_URL: 'redis://redis:6379',
      SMTP_URL: 'smtp://mail:587',
      AUTH_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIN0\n-----END PRIVATE KEY-----',
      EVENT_SEALING_KEY: 'q3Jk1n4Zb0m8c2F7x9LwVt5yHs6Ue1Rp0Ao3Ki8Dg2M',
    });
    assert.equal(ok.env, 'production');
  });

  it('parses TRUST_PROXY as a hop count or an address list', () => {
    assert.equal(load({}).http.trustProxy, false);
    assert.equal(load({ TRUST_PROXY: '2' }).http.trustProxy, 2);
    assert.deepEqual(load({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  });
});

describe('mail settings', () => {
  it('uses the dev mailbox without SMTP outside production, and never by default in production', () => {
    assert.equal(load({}).mail.devMailbox, true);
    assert.equal(load({ SMTP_URL: 'smtp://mail.example.com:587' }).mail.devMailbox, false);
    const prod = load({ NODE_ENV: 'production', EVENTLY_MODULES: 'bookings', DATABASE_URL: 'postgres://e:Zq8-long-random@db/e', REDIS_URL: 'redis://r:6379' });
    assert.equal(prod.mail.devMailbox, false);
    assert.equal(load({ SMTP_URL: 'smtp://mail.example.com:587', EVENTLY_DEV_MAILBOX: 'true' }).mail.devMailbox, true);
    assert.throws(
      () => load({ NODE_ENV: 'production', EVENTLY_DEV_MAILBOX: 'true', SMTP_URL: 'smtp://m:587', DATABASE_URL: 'postgres://e:Zq8-long-random@db/e', REDIS_URL: 'redis://r:6379' }),
      /EVENTLY_DEV_MAILBOX cannot be on in production/,
    );
    assert.throws(() => load({ SMTP_URL: 'http://mail' }), /SMTP_URL must be a smtp:\/\/ or smtps:\/\/ URL/);
  });

  describe('auth settings', () => {
    it('parses named rate limits, keeps defaults for names not given and turns one off', () => {
      const c = load({ AUTH_RATE_LOGIN: 'ip=5/30s, email=off' });
      assert.deepEqual(c.auth.rateLimits.login, { ip: { points: 5, windowMs: 30_000 }, email: null });
      assert.deepEqual(c.auth.rateLimits.register, { ip: { points: 20, windowMs: 3_600_000 } });
      assert.deepEqual(load({ AUTH_RATE_LIMITS: 'false' }).auth.rateLimits, {});
    });

    it('refuses a malformed or unknown rate limit, naming the setting', () => {
      assert.throws(() => load({ AUTH_RATE_LOGIN: 'ip=many/1m' }), /AUTH_RATE_LOGIN "ip=many\/1m" is not a rate like ip=10\/1m/);
      assert.throws(() => load({ AUTH_RATE_REGISTER: 'email=5/1m' }), /AUTH_RATE_REGISTER "email=5\/1m" is not one of ip=N\/window/);
      assert.throws(() => load({ AUTH_RATE_VERIFY: 'ip=0/1m' }), /AUTH_RATE_VERIFY/);
    });

    it('takes the admin email and password together or not at all; the password never shows', () => {
      assert.deepEqual(load({ EVENTLY_ADMIN_EMAIL: 'a@b.org', EVENTLY_ADMIN_PASSWORD: 'S3cret-pass' }).auth.admin, { email: 'a@b.org', password: 'S3cret-pass' });
      assert.throws(() => load({ EVENTLY_ADMIN_EMAIL: 'a@b.org' }), /EVENTLY_ADMIN_EMAIL and EVENTLY_ADMIN_PASSWORD .* go together/);
      assert.throws(() => load({ EVENTLY_ADMIN_PASSWORD: 'S3cret-pass' }), (e: Error) => /go together/.test(e.message) && !e.message.includes('S3cret-pass'));
    });

    it('production refuses to run auth without a signing key, but not a process without auth', () => {
      const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://app:Str0ng-pass@db/evently', REDIS_URL: 'redis://cache:6379', SMTP_URL: 'smtp://mail:25' };
      assert.throws(() => load(prod), /AUTH_SIGNING_KEY \(or AUTH_SIGNING_KEY_FILE\) is required in production/);
      assert.throws(() => load(prod), /EVENT_SEALING_KEY \(or EVENT_SEALING_KEY_FILE\) is required in production to run auth or notifications/);
      assert.doesNotThrow(() => load({ ...prod, EVENTLY_MODULES: 'events' }));
    });

    it('accepts a one-line PEM with \\n escapes, and derives the JWKS URL for split mode', () => {
      const c = load({ AUTH_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----' });
      assert.equal(c.auth.signingKeyPem, '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----');
      assert.equal(c.auth.jwksUrl, 'http://127.0.0.1:35000/.well-known/jwks.json');
      assert.throws(() => load({ AUTH_SESSION_IDLE_TIMEOUT_S: '7200', AUTH_SESSION_MAX_LIFETIME_S: '3600' }), /must not exceed AUTH_SESSION_MAX_LIFETIME_S/);
    });
  });
});
