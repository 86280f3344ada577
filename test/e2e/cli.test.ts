import { describe, it, before, after } from '../support/suite.js';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startTestEvently } from '../support/evently.js';
import { eventually, sqlRows } from '../support/auth.js';
import { dropPrefix, redisUrl, skipWithoutRedis, uniquePrefix } from '../support/redis.js';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { ROOT, envWithout, freePort, freePortRange, runCli, waitForReady, within } from '../support/process.js';

describe('npm start with nothing configured: embedded PostgreSQL, in-process adapters', () => {
  let dataDir: string;
  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'evently-e2e-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  const env = async () => ({
    ...envWithout('DATABASE_URL', 'REDIS_URL', 'NODE_ENV'),
    EVENTLY_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    LOG_LEVEL: 'info',
  });

  it('first start initialises the data folder, serves docs, creates the configured admin and stops cleanly on SIGTERM', async () => {
    // SPEC §3: with only these two set, the admin exists after a fresh start (no default credentials).
    const e = { ...(await env()), EVENTLY_ADMIN_EMAIL: 'Root@Example.com', EVENTLY_ADMIN_PASSWORD: 'Fresh-st4rt-admin' };
    const proc = runCli(['start'], e);
    const url = `http://127.0.0.1:${e.PORT}`;
    try {
      const ms = await waitForReady(url, proc, 60_000);
      console.log(`# first start: ready after ${ms} ms`);
      const ready = await (await fetch(`${url}/health/ready`)).json();
      assert.deepEqual(ready, { status: 'ready', checks: { database: { status: 'up' } } });
      const doc = (await (await fetch(`${url}/docs/json`)).json()) as Record<string, unknown>;
      await SwaggerParser.validate(doc as never);
      const info = (await (await fetch(`${url}/info`)).json()) as Record<string, unknown>;
      assert.equal(info.mode, 'all-in-one');
      const login = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'root@example.com', password: 'Fresh-st4rt-admin' }),
      });
      assert.equal(login.status, 200);
      const { access_token } = (await login.json()) as { access_token: string };
      const users = await fetch(`${url}/api/v1/admin/users`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(users.status, 200);
      const page = (await users.json()) as { items: { email: string; role: string; is_verified: boolean }[] };
      assert.deepEqual(page.items.map((u) => [u.email, u.role, u.is_verified]), [['root@example.com', 'admin', true]]);
      assert.doesNotMatch(proc.output(), /Fresh-st4rt-admin/, 'the password never reaches the logs');
      assert.match(proc.output(), /initialising embedded PostgreSQL/);
      assert.match(proc.output(), /Docs +http:\/\/127\.0\.0\.1:\d+\/docs/);
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await within(proc.exited, 10_000, 'shutdown after SIGTERM'), 0);
    assert.ok(existsSync(path.join(dataDir, 'pg', 'PG_VERSION')));
    assert.ok(!existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'PostgreSQL stopped with the process');
  });

  it('a second start reuses the data folder', async () => {
    const e = await env();
    const proc = runCli(['start'], e);
    try {
      const ms = await waitForReady(`http://127.0.0.1:${e.PORT}`, proc, 30_000);
      console.log(`# second start: ready after ${ms} ms`);
      assert.doesNotMatch(proc.output(), /initialising embedded PostgreSQL/);
      assert.doesNotMatch(proc.output(), /migrations applied/);
    } finally {
      proc.child.kill('SIGINT');
    }
    assert.equal(await within(proc.exited, 10_000, 'shutdown after SIGINT'), 0);
  });

  it('Ctrl-C twice (as npm start delivers it) still stops gracefully; admin create meanwhile uses the running server\'s database', async () => {
    const e = await env();
    const proc = runCli(['start'], e);
    const url = `http://127.0.0.1:${e.PORT}`;
    try {
      await waitForReady(url, proc, 30_000);
      // Beside the running server: the command joins its embedded PostgreSQL instead of refusing.
      const admin = runCli(['admin', 'create', '--email', 'beside@example.com', '--password-stdin'], { ...e, PORT: '' }, 'Bes1de-the-server\n');
      assert.equal(await within(admin.exited, 30_000, 'admin create beside the server'), 0, admin.output());
      assert.match(admin.output(), /admin beside@example\.com created/);
      const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'beside@example.com', password: 'Bes1de-the-server' }) });
      assert.equal(login.status, 200, 'the server sees the admin: one database');
    } finally {
      // A terminal signals npm and node; npm forwards its own: node gets SIGINT twice, moments apart.
      // (Two signals sent while the first is still pending coalesce into one, so the second waits
      // until the first was seen.)
      const firstSeen = new Promise<void>((resolve) => proc.child.stdout!.on('data', () => /"msg":"shutting down"/.test(proc.output()) && resolve()));
      proc.child.kill('SIGINT');
      await within(firstSeen, 10_000, 'the first SIGINT seen');
      proc.child.kill('SIGINT');
    }
    assert.equal(await within(proc.exited, 15_000, 'shutdown after two SIGINTs'), 0, proc.output());
    assert.match(proc.output(), /already shutting down; the repeated signal is ignored/);
    assert.match(proc.output(), /"msg":"stopped"/);
    assert.ok(!existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'PostgreSQL stopped with the process');
  });

  it('a port in use stops the start before a new data folder is initialised', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const fresh = mkdtempSync(path.join(tmpdir(), 'evently-e2e-port-'));
    try {
      const proc = runCli(['start'], { ...(await env()), PORT: String(port), EVENTLY_DATA_DIR: fresh });
      assert.equal(await within(proc.exited, 20_000, 'exit'), 1);
      assert.match(proc.output(), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
      assert.ok(!existsSync(path.join(fresh, 'pg')), 'no database was initialised');
    } finally {
      blocker.close();
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('recovers a data folder whose PostgreSQL outlived a killed process', async () => {
    const e = await env();
    const first = runCli(['start'], e);
    await waitForReady(`http://127.0.0.1:${e.PORT}`, first, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const e2 = await env();
    const second = runCli(['start'], e2);
    try {
      await waitForReady(`http://127.0.0.1:${e2.PORT}`, second, 30_000);
      assert.match(second.output(), /left running by an earlier process/);
    } finally {
      second.child.kill('SIGTERM');
    }
    assert.equal(await within(second.exited, 10_000, 'shutdown'), 0);
  });
});

describe('split mode', () => {
  it('exits with a clear message when REDIS_URL is missing', async () => {
    const proc = runCli(['start', '--modules', 'bookings', '--roles', 'http,worker'], { ...envWithout('REDIS_URL'), DATABASE_URL: 'postgres://127.0.0.1/none' });
    const code = await within(proc.exited, 20_000, 'exit');
    assert.notEqual(code, 0);
    assert.match(proc.output(), /REDIS_URL is required in split mode \(modules bookings\)/);
  });

  it('rejects unknown module and role names', async () => {
    const proc = runCli(['start', '--modules', 'bookings,payments', '--roles', 'http,cron'], { ...process.env });
    assert.equal(await within(proc.exited, 20_000, 'exit'), 78);
    assert.match(proc.output(), /EVENTLY_MODULES unknown value\(s\) payments/);
    assert.match(proc.output(), /EVENTLY_ROLES unknown value\(s\) cron/);
  });

  it('rejects unknown options', async () => {
    const proc = runCli(['start', '--modlues', 'bookings'], { ...process.env });
    assert.equal(await within(proc.exited, 20_000, 'exit'), 64);
    assert.match(proc.output(), /Unknown option '--modlues'/);
  });

  describe('with PostgreSQL and Redis', { skip: skipWithoutRedis() }, () => {
    let tdb: TestDatabase;
    const prefix = uniquePrefix('split');
    before(async () => {
      tdb = await createTestDatabase();
    });
    after(async () => {
      await dropPrefix(prefix);
      await tdb?.drop();
    });

    it('runs one module on its own port', async () => {
      const port = await freePort();
      const proc = runCli(['start', '--modules', 'bookings', '--roles', 'http,worker', '--port', String(port)], {
        ...process.env,
        DATABASE_URL: tdb.url,
        REDIS_URL: redisUrl(),
        REDIS_KEY_PREFIX: prefix,
      });
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitForReady(url, proc, 30_000);
        const info = (await (await fetch(`${url}/info`)).json()) as Record<string, unknown>;
        assert.deepEqual(info.modules, ['bookings']);
        assert.deepEqual(info.roles, ['http', 'worker']);
        assert.equal(info.mode, 'split');
        const ready = (await (await fetch(`${url}/health/ready`)).json()) as { checks: object };
        assert.deepEqual(Object.keys(ready.checks).sort(), ['database', 'redis']);
      } finally {
        proc.child.kill('SIGTERM');
      }
      assert.equal(await within(proc.exited, 10_000, 'shutdown'), 0);
    });
  });
});

describe('the command line tells what is wrong and what to do', () => {
  it('no command, an unknown one or a misplaced option: usage and exit 64', async () => {
    for (const args of [[], ['frobnicate'], ['start', '--group', 'x'], ['events', 'replay', '--group', 'g']]) {
      const proc = runCli(args, { ...process.env });
      assert.equal(await within(proc.exited, 20_000, 'exit'), 64, `${args.join(' ')}: ${proc.output()}`);
      assert.match(proc.output(), /Usage: evently <command>/);
    }
  });

  it('names the setting and the address when PostgreSQL or Redis cannot be reached', async () => {
    const noDb = runCli(['start', '--port', '0'], { ...envWithout('REDIS_URL'), DATABASE_URL: 'postgres://evently:s3cret-pw@127.0.0.1:1/evently' });
    assert.equal(await within(noDb.exited, 20_000, 'exit'), 1);
    assert.match(noDb.output(), /cannot reach PostgreSQL at 127\.0\.0\.1:1\/evently \(DATABASE_URL\): ECONNREFUSED\. Start PostgreSQL, fix DATABASE_URL/);
    assert.doesNotMatch(noDb.output(), /s3cret-pw/);
    const noRedis = runCli(['start', '--port', '0'], { ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/none-needed', REDIS_URL: 'redis://127.0.0.1:1' });
    assert.equal(await within(noRedis.exited, 30_000, 'exit'), 1);
    assert.match(noRedis.output(), /cannot reach (Redis at 127\.0\.0\.1:1 \(REDIS_URL\): ECONNREFUSED\. Start Redis, fix REDIS_URL|PostgreSQL)/);
  });
});

describe('evently events: dead letters listed and replayed', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb?.drop());

  it('lists what a group could not handle, replays or discards its dead letters and says when an id is not one', async () => {
    const env = { ...envWithout('REDIS_URL'), DATABASE_URL: tdb.url };
    const empty = runCli(['events', 'dead'], env);
    assert.equal(await within(empty.exited, 30_000, 'events dead'), 0, empty.output());
    assert.match(empty.output(), /no failed events/);
    const id = '01a00000-0000-7000-8000-000000000001';
    await sqlRows(tdb.url, `insert into platform.failed_events (group_name, event_key, event_type, event, status, attempts, last_error)
      values ('notifications', $1, 'auth.user.registered', $2, 'dead', 10, 'smtp said no')`, [id, JSON.stringify({ id, type: 'auth.user.registered' })]);
    const listed = runCli(['events', 'dead', '--group', 'notifications'], env);
    assert.equal(await within(listed.exited, 30_000, 'events dead'), 0, listed.output());
    assert.match(listed.output(), new RegExp(`${id}.*auth\\.user\\.registered.*dead.*10.*smtp said no`));
    const unknown = runCli(['events', 'replay', '--group', 'notifications', '--event', 'not-there'], env);
    assert.equal(await within(unknown.exited, 30_000, 'replay'), 65, unknown.output());
    const replayed = runCli(['events', 'replay', '--group', 'notifications', '--all'], env);
    assert.equal(await within(replayed.exited, 30_000, 'replay'), 0, replayed.output());
    assert.match(replayed.output(), /1 event of group notifications queued for replay/);
    const [row] = await sqlRows<{ status: string; attempts: number }>(tdb.url, 'select status, attempts from platform.failed_events where event_key = $1', [id]);
    assert.deepEqual(row, { status: 'retrying', attempts: 0 });
    await sqlRows(tdb.url, "update platform.failed_events set status = 'dead' where event_key = $1", [id]);
    const discarded = runCli(['events', 'discard', '--group', 'notifications', '--event', id], env);
    assert.equal(await within(discarded.exited, 30_000, 'discard'), 0, discarded.output());
    assert.match(discarded.output(), /1 dead letter of group notifications discarded/);
    assert.deepEqual(await sqlRows(tdb.url, 'select 1 from platform.failed_events'), []);
  });
});

describe('evently migrate', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb?.drop());

  it('applies the selected modules\' migrations and exits 0', async () => {
    const proc = runCli(['migrate', '--modules', 'auth,events'], { ...envWithout('REDIS_URL'), DATABASE_URL: tdb.url });
    assert.equal(await within(proc.exited, 30_000, 'migrate'), 0, proc.output());
    assert.match(proc.output(), /"schema":"auth","applied":\["000_platform_outbox_inbox","000_platform_v2_no_notify","001_auth","002_entity_versions","003_hardening","004_pending_registrations"\]/);
    assert.match(proc.output(), /migrations up to date/);
    assert.doesNotMatch(proc.output(), /"schema":"bookings"/);
  });
});

describe('evently admin create', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb?.drop());

  it('creates a verified admin once, reads the password from stdin, refuses a weak one', async () => {
    const env = { ...envWithout('REDIS_URL', 'EVENTLY_ADMIN_EMAIL', 'EVENTLY_ADMIN_PASSWORD'), DATABASE_URL: tdb.url };
    const created = runCli(['admin', 'create', '--email', 'Chief@Example.com', '--password-stdin'], env, 'Adm1n-from-stdin\n');
    assert.equal(await within(created.exited, 30_000, 'admin create'), 0, created.output());
    assert.match(created.output(), /admin chief@example\.com created \(username chief\)/);
    const again = runCli(['admin', 'create', '--email', 'chief@example.com'], { ...env, EVENTLY_ADMIN_PASSWORD: 'Other-passw0rd' });
    assert.equal(await within(again.exited, 30_000, 'admin create again'), 0, again.output());
    assert.match(again.output(), /already exists; nothing changed/);
    const weak = runCli(['admin', 'create', '--email', 'weak@example.com', '--password-stdin'], env, 'weak\n');
    assert.equal(await within(weak.exited, 30_000, 'weak admin'), 65, weak.output());
    assert.match(weak.output(), /password is too weak/);
    assert.doesNotMatch(weak.output() + created.output(), /Adm1n-from-stdin|weak\n/);

    // The admin signs in through the real app on the same database.
    const t = await startTestEvently({ database: tdb });
    try {
      const login = await t.evently.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'chief@example.com', password: 'Adm1n-from-stdin' } });
      assert.equal(login.statusCode, 200, login.body);
      assert.equal(JSON.parse(Buffer.from(login.json().access_token.split('.')[1], 'base64url').toString()).role, 'admin');
    } finally {
      await t.close();
    }
  });
});

describe('commands read only the settings they use: `docker compose exec auth node dist/cli.js …` in production', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb?.drop());

  /**
   * The environment of the compose file's auth container, as `docker compose exec` gives it to a
   * command: production, a database, and settings the command does not need that would stop a
   * start (no SMTP_URL, REDIS_URL or keys; a signing key file that is not there).
   */
  const productionEnv = () => {
    const url = new URL(tdb.url);
    if (!url.password) url.password = 'Zq8-long-random'; // production refuses a database URL without one (trust auth ignores it)
    return {
      ...envWithout('REDIS_URL', 'SMTP_URL', 'EVENT_SEALING_KEY', 'AUTH_SIGNING_KEY', 'EVENTLY_ADMIN_EMAIL', 'EVENTLY_ADMIN_PASSWORD', 'EVENTLY_MODULES'),
      NODE_ENV: 'production',
      DATABASE_URL: url.toString(),
      HOST: '0.0.0.0',
      PORT: '35000',
      AUTH_SIGNING_KEY_FILE: '/run/secrets/not-mounted-here',
      AUTH_RATE_LOGIN: 'not a rate',
    };
  };

  it('a production start still refuses this environment (exit 78)', async () => {
    const proc = runCli(['start'], productionEnv());
    assert.equal(await within(proc.exited, 20_000, 'start'), 78, proc.output());
    assert.match(proc.output(), /cannot read AUTH_SIGNING_KEY_FILE \(ENOENT\)/);
    assert.match(proc.output(), /AUTH_RATE_LOGIN "not a rate" is not one of/);
    const { AUTH_SIGNING_KEY_FILE: _key, AUTH_RATE_LOGIN: _rate, ...parsable } = productionEnv();
    const rules = runCli(['start'], parsable);
    assert.equal(await within(rules.exited, 20_000, 'start'), 78, rules.output());
    for (const rule of [/SMTP_URL is required in production/, /AUTH_SIGNING_KEY .*is required in production/, /EVENT_SEALING_KEY .*is required in production/, /REDIS_URL is required in production/]) {
      assert.match(rules.output(), rule);
    }
  });

  it('admin create needs only DATABASE_URL: not SMTP_URL, the signing or sealing key, nor Redis', async () => {
    const proc = runCli(['admin', 'create', '--email', 'ops@example.com', '--password-stdin'], productionEnv(), 'Pr0duction-admin\n');
    assert.equal(await within(proc.exited, 30_000, 'admin create'), 0, proc.output());
    assert.match(proc.output(), /admin ops@example\.com created/);
    const [row] = await sqlRows<{ role: string; is_verified: boolean }>(tdb.url, "select role, is_verified from auth.users where email = 'ops@example.com'");
    assert.deepEqual(row, { role: 'admin', is_verified: true });
  });

  it('migrate and events dead too; without DATABASE_URL production says so (exit 78)', async () => {
    const migrate = runCli(['migrate', '--modules', 'notifications'], productionEnv());
    assert.equal(await within(migrate.exited, 30_000, 'migrate'), 0, migrate.output());
    const dead = runCli(['events', 'dead'], productionEnv());
    assert.equal(await within(dead.exited, 30_000, 'events dead'), 0, dead.output());
    assert.match(dead.output(), /no failed events/);
    const noDb = runCli(['admin', 'create', '--email', 'ops@example.com'], { ...productionEnv(), DATABASE_URL: '', EVENTLY_ADMIN_PASSWORD: 'Pr0duction-admin' });
    assert.equal(await within(noDb.exited, 30_000, 'admin create without a database'), 78, noDb.output());
    assert.match(noDb.output(), /DATABASE_URL is required in production/);
    assert.doesNotMatch(noDb.output(), /SMTP_URL|AUTH_SIGNING_KEY|EVENT_SEALING_KEY|REDIS_URL/);
  });
});

describe('a secret file Evently cannot read (a Docker secret mounted 0600 for another owner)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'evently-secret-'));
    chmodSync(dir, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('stops the start naming the setting, the file, the uid Evently runs as and what to do', () => {
    const key = path.join(dir, 'auth_signing_key.pem');
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    // Root reads any file: as root, run Evently as `nobody`, as the image runs it as `node`.
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(key, 0o000);
    const uid = asRoot ? 65534 : process.getuid!();
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'start'], {
      cwd: ROOT,
      env: { ...envWithout('AUTH_SIGNING_KEY', 'NODE_ENV'), AUTH_SIGNING_KEY_FILE: key },
      ...(asRoot ? { uid, gid: 65534 } : {}),
      encoding: 'utf8',
      timeout: 30_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 78, output);
    assert.match(output, new RegExp(`AUTH_SIGNING_KEY: cannot read AUTH_SIGNING_KEY_FILE \\(EACCES\\): ${key.replace(/[.]/g, '\\.')} is not readable by uid ${uid}\\b[^,]*, the user Evently runs as`));
    assert.match(output, /keeps its owner and mode from the host .*: on the host, chmod 0644 the file .* or chown it to uid \d+; or run Evently as a user that can read it/);
    assert.doesNotMatch(output, /not-a-real-key/);
  });
});

describe('METRICS_PORT: /metrics on a listener of its own', () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(() => tdb?.drop());

  it('serves /metrics there and not on PORT, says where at start, and refuses a METRICS_PORT in use', async () => {
    const [port, metricsPort] = [await freePort(), await freePort()];
    const env = { ...envWithout('REDIS_URL', 'NODE_ENV', 'EVENTLY_MODULES', 'EVENTLY_ROLES'), DATABASE_URL: tdb.url, PORT: String(port), METRICS_PORT: String(metricsPort) };
    const proc = runCli(['start'], env);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForReady(url, proc, 30_000);
      assert.equal((await fetch(`${url}/metrics`)).status, 404);
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /http_requests_total\{[^}]*route="\/health\/ready"/);
      assert.match(proc.output(), new RegExp(`Metrics +http://127\\.0\\.0\\.1:${metricsPort}/metrics`));
      // A second Evently on other API ports but the same METRICS_PORT stops before it starts anything.
      const second = runCli(['start'], { ...env, PORT: String(await freePort()) });
      assert.equal(await within(second.exited, 20_000, 'second start'), 1, second.output());
      assert.match(second.output(), new RegExp(`port ${metricsPort} on 127\\.0\\.0\\.1 is already in use .*choose another METRICS_PORT`));
    } finally {
      proc.child.kill('SIGTERM');
    }
    assert.equal(await within(proc.exited, 10_000, 'shutdown'), 0, proc.output());
  });
});

describe('start refuses a dev mailbox on an address other machines reach', () => {
  it('HOST=0.0.0.0 without SMTP_URL: exit 78 naming HOST, SMTP_URL and EVENTLY_DEV_MAILBOX, nothing listens', async () => {
    const port = await freePort();
    const proc = runCli(['start', '--host', '0.0.0.0', '--port', String(port)], { ...envWithout('SMTP_URL', 'EVENTLY_DEV_MAILBOX', 'NODE_ENV', 'EVENTLY_MODULES', 'EVENTLY_ROLES'), DATABASE_URL: 'postgres://127.0.0.1:1/never-reached' });
    assert.equal(await within(proc.exited, 20_000, 'exit'), 78, proc.output());
    assert.match(proc.output(), /the dev mailbox is on \(by default: SMTP_URL is not set\) while HOST=0\.0\.0\.0 is not a loopback address/);
    assert.match(proc.output(), /SMTP_URL .*EVENTLY_DEV_MAILBOX.*\(HOST\)/);
    assert.doesNotMatch(proc.output(), /cannot reach PostgreSQL/, 'refused before anything starts');
  });
});

describe('npm run cluster: the split topology as local processes', { skip: skipWithoutRedis() }, () => {
  let tdb: TestDatabase;
  const prefix = uniquePrefix('cluster');
  before(async () => {
    tdb = await createTestDatabase();
  });
  after(async () => {
    await dropPrefix(prefix);
    await tdb?.drop();
  });

  it('starts one process per module on consecutive ports, a second bookings replica 10 ports above the first, and stops them all on SIGTERM', async () => {
    const base = await freePortRange(13);
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/cluster.ts'), '--base-port', String(base)], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: tdb.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const proc = { child, output: () => out, exited: exited.then((c) => c ?? 1) };
    try {
      const processes = [['auth', 0], ['events', 1], ['bookings', 2], ['analytics', 3], ['notifications', 4], ['bookings', 12]] as const;
      for (const [m, offset] of processes) {
        const url = `http://127.0.0.1:${base + offset}`;
        await waitForReady(url, proc, 60_000);
        const info = (await (await fetch(`${url}/info`)).json()) as { modules: string[]; mode: string };
        assert.deepEqual(info.modules, [m]);
        assert.equal(info.mode, 'split');
      }
      // Across processes: auth's sealed code reaches the notifications process through Redis, which
      // opens it (the shared development key) and keeps the mail; the code then verifies the account.
      const auth = `http://127.0.0.1:${base}`;
      const post = (path: string, body: object) =>
        fetch(`${auth}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const email = `split-${Date.now()}@example.com`;
      assert.equal((await post('/api/v1/auth/register', { email, username: `split${Date.now()}`, password: 'Spl1t-mode-ok' })).status, 202);
      const code = await eventually(async () => {
        const rows = await sqlRows<{ text: string }>(tdb.url, 'select text from notifications.dev_mailbox where "to" = $1', [email]);
        return /\b(\d{6})\b/.exec(rows[0]?.text ?? '')?.[1];
      }, 'the verification mail kept by the notifications process', 30_000);
      assert.equal((await post('/api/v1/auth/verify-email', { email, otp: code, password: 'Spl1t-mode-ok' })).status, 200);
      assert.equal((await post('/api/v1/auth/login', { email, password: 'Spl1t-mode-ok' })).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await within(exited, 15_000, 'cluster shutdown'), 0);
  });
});
