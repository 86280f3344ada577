import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './db.js';
import { freePortRange, ROOT, within } from './process.js';
import { dropPrefix, redisEnv, SINGLE_REDIS, uniquePrefix, type RedisTestTarget } from './redis.js';

/** `npm run cluster` as a real process tree on free ports, its database and Redis keys its own. */
export interface TestCluster {
  database: TestDatabase;
  redisPrefix: string;
  url: { auth: string; events: string; bookings: string; bookings2: string; analytics: string; notifications: string; web: string };
  /** The pid of the process serving `port` (the cluster starts a new one after a crash). */
  pidOf(port: number): number | undefined;
  output(): string;
  stop(): Promise<void>;
}

const OFFSETS = { auth: 0, events: 1, bookings: 2, analytics: 3, notifications: 4, web: 5, bookings2: 12 } as const;

/**
 * `o.adminDatabaseUrl`: the PostgreSQL server to make the database on (default DATABASE_URL's);
 * `o.redis`: the Redis or Redis Cluster of the run (default REDIS_URL's); `o.redisUrl`: a Redis of
 * the test's own (its keys are not dropped: the test throws it away).
 */
export async function startTestCluster(env: Record<string, string>, o: { adminDatabaseUrl?: string; redis?: RedisTestTarget; redisUrl?: string } = {}): Promise<TestCluster> {
  const target = o.redis ?? SINGLE_REDIS;
  const database = await createTestDatabase(o.adminDatabaseUrl);
  const redisPrefix = uniquePrefix('cluster');
  const base = await freePortRange(13);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/cluster.ts'), '--base-port', String(base)], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: database.url, REDIS_KEY_PREFIX: redisPrefix, LOG_LEVEL: 'warn', ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : redisEnv(target)), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own: a cluster that does not stop in time is killed with every process it started.
    detached: true,
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number>((r) => child.on('exit', (c) => r(c ?? 1)));
  const url = Object.fromEntries(Object.entries(OFFSETS).map(([k, o]) => [k, `http://127.0.0.1:${base + o}`])) as TestCluster['url'];
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await within(exited, 60_000, 'cluster shutdown').catch(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    });
    if (!o.redisUrl) await dropPrefix(redisPrefix, target);
    await database.drop();
  };
  try {
    await within(new Promise<void>((resolve, reject) => {
      const check = () => (out.includes('Evently cluster') ? resolve() : child.exitCode !== null ? reject(new Error(`cluster exited:\n${out}`)) : setTimeout(check, 100));
      check();
    }), 180_000, 'cluster start');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    database,
    redisPrefix,
    url,
    pidOf(port) {
      try {
        const pids = execFileSync('pgrep', ['-f', `src/cli.ts start .* --port ${port}$`], { encoding: 'utf8' }).trim().split('\n').map(Number);
        return pids[0];
      } catch {
        return undefined;
      }
    },
    output: () => out,
    stop,
  };
}

/** fetch with a JSON body and a bearer token; the answer's status and JSON. */
export async function api(url: string, method: string, o: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any; code?: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(url, {
    method,
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  return { status: res.status, body, code: body?.error?.code };
}
