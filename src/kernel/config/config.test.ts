import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, assertCanRunModules, isLoopbackHost, ConfigError, int, optional, str, type ModuleSettings } from './index.js';

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
    assert.deepEqual(c.modules, ['auth', 'events', 'bookings', 'analytics', 'notifications', 'web']);
    assert.deepEqual(c.roles, ['http', 'worker', 'scheduler']);
    assert.equal(c.database.url, undefined);
    assert.equal(c.redis.url, undefined);
    assert.ok(path.isAbsolute(c.database.dataDir) && c.database.dataDir.endsWith('.evently'));
  });

  it('is still all-in-one without the web app (a client of the API), and split without any other module', () => {
    const api = load({ EVENTLY_MODULES: 'auth,events,bookings,analytics,notifications' });
    assert.equal(api.allInOne, true);
    assert.equal(api.http.port, 3000);
    const web = load({ EVENTLY_MODULES: 'web', REDIS_URL: 'redis://127.0.0.1:6379' });
    assert.equal(web.allInOne, false);
    assert.equal(web.http.port, 35005);
    assert.equal(load({ EVENTLY_MODULES: 'web,auth,events,bookings,analytics', REDIS_URL: 'redis://127.0.0.1:6379' }).allInOne, false, 'without notifications: split');
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
    const ok = load({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://evently:Zq8-long-random@db/evently',
      REDIS_URL: 'redis://redis:6379',
      EVENT_SEALING_KEY: 'q3Jk1n4Zb0m8c2F7x9LwVt5yHs6Ue1Rp0Ao3Ki8Dg2M',
    });
    assert.equal(ok.env, 'production');
    assert.throws(() => load({ NODE_ENV: 'production', DATABASE_URL: 'postgres://evently:Zq8-long-random@db/evently', REDIS_URL: 'redis://redis:6379' }), /EVENT_SEALING_KEY \(or EVENT_SEALING_KEY_FILE\) is required in production to run auth or notifications/);
    assert.doesNotThrow(() => load({ NODE_ENV: 'production', EVENTLY_MODULES: 'events', DATABASE_URL: 'postgres://evently:Zq8-long-random@db/evently', REDIS_URL: 'redis://redis:6379' }));
  });

  it('serves /metrics on the API port, on a port of its own, or nowhere', () => {
    assert.deepEqual(load({}).http.metrics, { serve: 'api' });
    assert.deepEqual(load({ EVENTLY_METRICS: 'false' }).http.metrics, { serve: 'off' });
    assert.deepEqual(load({ METRICS_PORT: '9464' }).http.metrics, { serve: 'own', host: '127.0.0.1', port: 9464 });
    assert.deepEqual(load({ HOST: '0.0.0.0', METRICS_PORT: '9464' }).http.metrics, { serve: 'own', host: '0.0.0.0', port: 9464 });
    assert.deepEqual(load({ HOST: '0.0.0.0', METRICS_PORT: '9464', METRICS_HOST: '10.1.2.3' }).http.metrics, { serve: 'own', host: '10.1.2.3', port: 9464 });
    assert.throws(() => load({ METRICS_PORT: '9464', EVENTLY_METRICS: 'false' }), /METRICS_PORT is set but EVENTLY_METRICS=false turns \/metrics off/);
    assert.throws(() => load({ METRICS_HOST: '10.1.2.3' }), /METRICS_HOST needs METRICS_PORT/);
    assert.throws(() => load({ PORT: '4000', METRICS_PORT: '4000' }), /METRICS_PORT must differ from PORT \(both 4000\)/);
    assert.throws(() => load({ EVENTLY_MODULES: 'auth', METRICS_PORT: '35000' }), /METRICS_PORT must differ from PORT/);
    assert.throws(() => load({ METRICS_PORT: '70000' }), /METRICS_PORT must be at most 65535/);
  });

  it('tells loopback listen addresses from the others', () => {
    for (const h of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '[::1]', 'localhost', 'LOCALHOST', 'localhost.']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '128.0.0.1', '10.0.0.1', '::2', 'localhost.example.com', 'my-laptop', '']) assert.equal(isLoopbackHost(h), false, h);
  });

  it('parses TRUST_PROXY as a hop count or an address list', () => {
    assert.equal(load({}).http.trustProxy, false);
    assert.equal(load({ TRUST_PROXY: '2' }).http.trustProxy, 2);
    assert.deepEqual(load({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).http.trustProxy, ['10.0.0.0/8', '127.0.0.1']);
  });
});

describe('config of a one-off command (migrate, admin create, events)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'evently-config-command-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const DB = 'postgres://evently:Zq8-long-random@db/evently';
  /** A module whose start rules would refuse this environment, as auth's and notifications' do. */
  const strict: ModuleSettings = {
    table: { STRICT_KEY: optional(str({ secret: true, doc: 'Key.' })) },
    slice: (s) => ({ key: s.STRICT_KEY }),
    check: (c, platform) => (platform.env === 'production' && !(c as { key?: string }).key ? ['STRICT_KEY is required in production'] : []),
  };
  const command = (env: Record<string, string>, uses: string[] = []) => loadConfig({ env, envFile: false, modules: { auth: strict }, command: { uses } });

  it('in production needs DATABASE_URL only: not REDIS_URL, the sealing key or the modules\' start rules', () => {
    assert.throws(() => loadConfig({ env: { NODE_ENV: 'production', DATABASE_URL: DB }, envFile: false, modules: { auth: strict } }), /STRICT_KEY is required in production/);
    const c = command({ NODE_ENV: 'production', DATABASE_URL: DB });
    assert.equal(c.env, 'production');
    assert.equal(c.database.url, DB);
    assert.throws(() => command({ NODE_ENV: 'production' }), (e: Error) => {
      assert.match(e.message, /DATABASE_URL is required in production/);
      assert.doesNotMatch(e.message, /REDIS_URL|EVENT_SEALING_KEY|STRICT_KEY/);
      return true;
    });
    assert.throws(() => command({ NODE_ENV: 'production', DATABASE_URL: 'postgres://evently:password@db/evently' }), /DATABASE_URL holds a placeholder secret/);
  });

  it('reads only the settings it uses: others keep their defaults, unread, even when broken or unreadable', () => {
    const env = {
      DATABASE_URL: DB,
      DATABASE_POOL_MAX: '7',
      LOG_LEVEL: 'debug',
      EVENTLY_MODULES: 'auth,payments',
      REDIS_URL: 'http://not-redis',
      PORT: 'eighty',
      STRICT_KEY_FILE: path.join(dir, 'missing-key'),
      EVENT_SEALING_KEY_FILE: path.join(dir, 'missing-sealing-key'),
    };
    const c = command(env);
    assert.equal(c.database.poolMax, 7);
    assert.equal(c.log.level, 'debug');
    assert.equal(c.redis.url, undefined);
    assert.deepEqual(c.modules, ['auth', 'events', 'bookings', 'analytics', 'notifications', 'web']);
    assert.deepEqual(c.slices.auth, { key: undefined });
    // What it uses is validated as ever.
    assert.throws(() => command(env, ['EVENTLY_MODULES']), /EVENTLY_MODULES unknown value\(s\) payments/);
    assert.throws(() => command({ ...env, DATABASE_POOL_MAX: '0' }), /DATABASE_POOL_MAX must be at least 1/);
    assert.throws(() => command({ DATABASE_URL_FILE: path.join(dir, 'missing-url') }), /cannot read DATABASE_URL_FILE \(ENOENT\): there is no file .*missing-url/);
  });
});

describe('module settings', () => {
  /** A module of the test's own: its settings, the slice it is given, a rule of its own. */
  const shop: ModuleSettings<{ greeting: string; limit: number; platformTtl: number }> = {
    table: {
      SHOP_GREETING: str({ default: 'hello', doc: 'Greeting.' }),
      SHOP_LIMIT: int({ min: 1, default: 5, doc: 'Limit.' }),
      SHOP_SECRET: optional(str({ secret: true, doc: 'Secret.' })),
    },
    slice: (s, platform) => ({ greeting: s.SHOP_GREETING as string, limit: s.SHOP_LIMIT as number, platformTtl: platform.tokens.accessTtlSeconds }),
    check: (c, platform) => (platform.env === 'production' && c.greeting === 'hello' ? ['SHOP_GREETING must be set in production'] : []),
  };
  const withShop = (env: Record<string, string>) => loadConfig({ env, envFile: false, modules: { bookings: shop } });

  it('parses the module table with the platform\'s, and gives the module its slice only', () => {
    const c = withShop({ SHOP_GREETING: 'hi', SHOP_LIMIT: '7' });
    assert.deepEqual(c.slices.bookings, { greeting: 'hi', limit: 7, platformTtl: 900 });
    assert.ok(Object.isFrozen(c.slices.bookings));
  });

  it('names bad module settings together with bad platform settings, never showing a secret', () => {
    assert.throws(() => withShop({ SHOP_LIMIT: '0', PORT: 'x' }), (e: Error) => /SHOP_LIMIT must be at least 1/.test(e.message) && /PORT must be a whole number/.test(e.message));
  });

  it('checks a module\'s rules only in a process that runs it, and its secrets in production', () => {
    const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://e:Zq8-long-random@db/e', REDIS_URL: 'redis://r:6379', EVENTLY_MODULES: 'bookings' };
    assert.throws(() => withShop(prod), /SHOP_GREETING must be set in production/);
    assert.doesNotThrow(() => withShop({ ...prod, EVENTLY_MODULES: 'events' }));
    assert.throws(() => withShop({ ...prod, SHOP_GREETING: 'hi', SHOP_SECRET: 'changeme' }), /SHOP_SECRET holds a placeholder secret/);
  });

  it('refuses a module setting that another table already declares', () => {
    const clash: ModuleSettings = { table: { PORT: int({ doc: 'again' }) }, slice: () => ({}) };
    assert.throws(() => loadConfig({ env: {}, envFile: false, modules: { bookings: clash } }), /PORT is declared twice/);
  });
});
