/**
 * `npm run cluster`: the split topology of docker-compose.yml as local processes, one per module on
 * its module's port (the web app on 35005, forwarding the API's paths to the others), plus more bookings replicas (`--bookings-replicas N`, default 2: the second on
 * port 35012, the third on 35022, …). `--base-port N` moves every port by N − 35000. Needs
 * REDIS_URL; without DATABASE_URL it starts one embedded PostgreSQL that every process shares. It
 * waits until every process answers /health/ready, prints the URLs and "cluster ready", and stops
 * them all on Ctrl-C (or SIGTERM). A process that exits before the cluster is ready stops it (a
 * setting is wrong); one that dies later is started again after a pause (1 s, doubling to 30 s while
 * it keeps dying young), as docker-compose.yml's `restart: unless-stopped` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { MODULE_NAMES, MODULE_PORTS, createLogger, startEmbeddedPostgres, type ModuleName } from '../src/kernel/index.js';

const { values } = parseArgs({
  options: { 'base-port': { type: 'string' }, modules: { type: 'string' }, 'bookings-replicas': { type: 'string', default: '2' } },
  strict: true,
});
const root = path.resolve(import.meta.dirname, '..');
const modules = (values.modules?.split(',') ?? [...MODULE_NAMES]) as ModuleName[];
const unknown = modules.filter((m) => !MODULE_NAMES.includes(m));
if (unknown.length) fail(`unknown module(s) ${unknown.join(', ')}`);
const replicas = Number(values['bookings-replicas']);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 9) fail('--bookings-replicas must be 1 to 9');
const shift = values['base-port'] === undefined ? 0 : Number(values['base-port']) - MODULE_PORTS.auth;
if (!Number.isInteger(shift) || MODULE_PORTS.auth + shift < 1024 || MODULE_PORTS.auth + shift > 65_000) fail('--base-port must be a port from 1024 to 65000');
if (!process.env.REDIS_URL) fail('REDIS_URL is required: the modules of a cluster talk through Redis');
/** How long every process gets to answer /health/ready (migrations, keys, the embedded server). */
const READY_TIMEOUT_MS = 120_000;

const logger = createLogger({ level: 'info', service: 'cluster' });
const embedded = process.env.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: process.env.EVENTLY_DATA_DIR ?? path.join(root, '.evently'), logger });
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;

interface Member { name: string; module: ModuleName; port: number; child?: ChildProcess; pause?: number; startedAt?: number }
const members: Member[] = modules.flatMap((module): Member[] => {
  const port = MODULE_PORTS[module] + shift;
  if (module !== 'bookings') return [{ name: module, module, port }];
  return Array.from({ length: replicas }, (_, i) => ({ name: i ? `bookings-${i + 1}` : 'bookings', module, port: port + 10 * i }));
});
// The other modules verify tokens against the auth process's published keys.
const auth = members.find((m) => m.module === 'auth');
const jwksUrl = process.env.AUTH_JWKS_URL ?? (auth ? `http://127.0.0.1:${auth.port}/.well-known/jwks.json` : undefined);

// The web app's process forwards the API's paths to the processes above (all replicas of bookings),
// and they take its X-Forwarded-For: the visitor's address, for their per-address rate limits.
const upstreams = [...new Set(members.map((m) => m.module))].filter((module) => module !== 'web')
  .map((module) => `${module}=${members.filter((m) => m.module === module).map((m) => `http://127.0.0.1:${m.port}`).join('|')}`).join(',');
// The web process itself trusts no one: a local client must not choose the address it passes on.
const envOf = (m: Member) => (m.module === 'web' ? { WEB_UPSTREAMS: process.env.WEB_UPSTREAMS ?? upstreams } : { TRUST_PROXY: process.env.TRUST_PROXY ?? '127.0.0.1' });

let stopping: Promise<void> | undefined;
/** A process that has not stopped this long after SIGTERM (its own shutdown budget and a margin) is killed. */
const KILL_AFTER_MS = 20_000;

function stop(code = 0): Promise<void> {
  stopping ??= (async () => {
    await Promise.all(members.map(({ child }) => (!child || child.exitCode !== null || child.signalCode !== null
      ? undefined
      : new Promise<void>((r) => {
        const killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
        child.once('exit', () => (clearTimeout(killer), r()));
        child.kill('SIGTERM');
      }))));
    await embedded?.stop();
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

let isReady = false;
function launch(m: Member): void {
  // Every process serves /health; the notifications worker's HTTP role adds only the dev mailbox.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'start', '--modules', m.module, '--roles', 'http,worker,scheduler', '--port', String(m.port)], {
    cwd: root,
    env: { ...process.env, ...envOf(m), DATABASE_URL: databaseUrl, ...(jwksUrl ? { AUTH_JWKS_URL: jwksUrl } : {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  m.child = child;
  m.startedAt = Date.now();
  child.on('exit', (code, signal) => {
    if (stopping) return;
    if (!isReady) {
      logger.error({ process: m.name, code, signal }, 'a cluster process exited before the cluster was ready: stopping the cluster');
      void stop(code || 1);
      return;
    }
    // A process that ran a while starts again at once (almost); one that keeps dying waits longer.
    m.pause = Date.now() - m.startedAt! > 60_000 ? RESTART_FIRST_MS : Math.min((m.pause ?? RESTART_FIRST_MS / 2) * 2, RESTART_MAX_MS);
    logger.error({ process: m.name, code, signal, restart_in_ms: m.pause }, 'a cluster process exited: starting it again');
    setTimeout(() => stopping || launch(m), m.pause).unref();
  });
}
const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
for (const m of members) launch(m);

async function ready(m: Member): Promise<void> {
  const end = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${m.port}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > end) throw new Error(`${m.name} did not answer /health/ready on port ${m.port} within ${READY_TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
}
try {
  await Promise.all(members.map(ready));
} catch (err) {
  logger.error({ err }, 'the cluster did not become ready');
  await stop(1);
}
isReady = true;
process.stderr.write(`\n  Evently cluster\n${members.map((m) => `    ${m.name.padEnd(14)} http://127.0.0.1:${m.port}`).join('\n')}\n\n`);
logger.info({ processes: members.map((m) => ({ name: m.name, port: m.port, pid: m.child?.pid })) }, 'cluster ready');

function fail(message: string): never {
  process.stderr.write(`cluster: ${message}\n`);
  process.exit(64);
}
