import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, within } from './process.js';

/**
 * Servers a fault test may restart without touching the machine's shared PostgreSQL and Redis
 * (other test files use those at the same time).
 */

export interface OwnServer {
  url: string;
  /** Kills the server the hard way (SIGKILL / an immediate shutdown) and starts it again on the same port and data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const PG_PREFIX = 'evfault_';

/** A PostgreSQL cluster of its own (Debian's pg_createcluster), trust auth on 127.0.0.1. */
export async function startOwnPostgres(): Promise<OwnServer> {
  const version = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().at(-1) : undefined;
  if (!version) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  // Clusters left by a run that died.
  const listed = execFileSync('pg_lsclusters', ['-h'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  for (const line of listed) {
    const [v, name] = line.split(/\s+/);
    if (name?.startsWith(PG_PREFIX)) execFileSync('pg_dropcluster', [v!, name, '--stop'], { stdio: 'ignore' });
  }
  const name = `${PG_PREFIX}${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  execFileSync('pg_createcluster', [version, name, '-p', String(port), '--start-conf', 'manual', '--', '--auth-host=trust', '--auth-local=trust'], { stdio: 'ignore' });
  execFileSync('pg_ctlcluster', [version, name, 'start'], { stdio: 'ignore' });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      // Immediate: no checkpoint, every connection cut, recovery from the WAL at the next start (a crash).
      execFileSync('pg_ctlcluster', [version, name, 'restart', '-m', 'immediate'], { stdio: 'ignore' });
    },
    async stop() {
      execFileSync('pg_dropcluster', [version, name, '--stop'], { stdio: 'ignore' });
    },
  };
}

/** A Redis of its own that writes every change to its append-only file before answering, as docker-compose.yml runs it. */
export async function startOwnRedis(): Promise<OwnServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'evently-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: 'ignore' });
    const end = Date.now() + 10_000;
    for (;;) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      const ok = await client.connect().then(() => client.ping(), () => undefined).finally(() => client.disconnect());
      if (ok === 'PONG') return;
      if (Date.now() > end) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await within(exited, 10_000, 'redis-server exit');
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    async restart() {
      await kill();
      await start();
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
