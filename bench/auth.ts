/**
 * W3 of PERFORMANCE.md: login and authenticated `GET /api/v1/auth/me`, against baselines measured in
 * the same run: B7 (Argon2id hashes/s with the project's parameters) and B1 (bare Fastify "hello
 * world"). Targets: login ≥ 0.8 × B7, /me ≥ 0.6 × B1. Evently runs all-in-one as `npm start` does,
 * on DATABASE_URL/REDIS_URL when set (a scratch database is created and dropped), else embedded.
 * BENCH_DURATION_S (default 10) sets each load phase. Writes bench/results/auth.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { hashPassword } from '../src/modules/auth/index.js';
import { freePort, load, report, startTs, stop, waitReady, type LoadResult } from './lib.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const EMAIL = 'bench@example.com';
const PASSWORD = 'Bench-passw0rd';

/** B7: Argon2id hashes per second, as many in flight as the thread pool runs. */
async function argon2Rate(): Promise<number> {
  const inFlight = Math.max(4, availableParallelism());
  let done = 0;
  const end = Date.now() + durationS * 1000;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (Date.now() < end) {
      await hashPassword(PASSWORD);
      done++;
    }
  }));
  return Math.round(done / durationS);
}

async function bareFastify(): Promise<LoadResult> {
  const port = await freePort();
  const child = startTs('bench/baseline-server.ts', ['hello'], { ...process.env, PORT: String(port) });
  try {
    await waitReady(`http://127.0.0.1:${port}/`, child);
    return await load({ url: `http://127.0.0.1:${port}/`, connections: 50, durationS });
  } finally {
    await stop(child);
  }
}

async function withEvently<T>(fn: (base: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    AUTH_RATE_LIMITS: 'false', // a load test of one account would hit the per-email limit at once
    EVENTLY_ADMIN_EMAIL: EMAIL,
    EVENTLY_ADMIN_PASSWORD: PASSWORD,
  };
  let dataDir: string | undefined;
  let scratch: { admin: string; name: string } | undefined;
  if (process.env.DATABASE_URL) {
    scratch = { admin: process.env.DATABASE_URL, name: `evently_bench_${process.pid}` };
    await adminSql(scratch.admin, `create database ${scratch.name}`);
    const url = new URL(scratch.admin);
    url.pathname = `/${scratch.name}`;
    env.DATABASE_URL = url.toString();
    if (process.env.REDIS_URL) env.REDIS_KEY_PREFIX = `evently:bench:${process.pid}:`;
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'evently-bench-'));
    env.EVENTLY_DATA_DIR = dataDir;
  }
  const child = startTs('src/cli.ts', ['start'], env);
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health/ready`, child);
    return await fn(base);
  } finally {
    await stop(child);
    if (scratch) await adminSql(scratch.admin, `drop database if exists ${scratch.name} with (force)`);
    if (env.REDIS_KEY_PREFIX) await dropRedisPrefix(process.env.REDIS_URL!, env.REDIS_KEY_PREFIX);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    for await (const keys of redis.scanStream({ match: `${prefix}*`, count: 500 }) as AsyncIterable<string[]>) {
      if (keys.length) await redis.unlink(...keys);
    }
  } finally {
    redis.disconnect();
  }
}

async function adminSql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text).finally(() => client.end());
}

const b7 = await argon2Rate();
const b1 = await bareFastify();
const { login, me, health, mode } = await withEvently(async (base) => {
  const info = (await (await fetch(`${base}/info`)).json()) as { mode: string };
  const body = JSON.stringify({ email: EMAIL, password: PASSWORD });
  const headers = { 'content-type': 'application/json' };
  const first = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers, body });
  if (first.status !== 200) throw new Error(`login failed: ${first.status} ${await first.text()}`);
  const { access_token } = (await first.json()) as { access_token: string };
  return {
    mode: `${info.mode}${process.env.REDIS_URL ? ', Redis' : ', in-process adapters'}${process.env.DATABASE_URL ? ', DATABASE_URL' : ', embedded PostgreSQL'}`,
    login: await load({ url: `${base}/api/v1/auth/login`, method: 'POST', headers, body, connections: 16, durationS }),
    me: await load({ url: `${base}/api/v1/auth/me`, headers: { authorization: `Bearer ${access_token}` }, connections: 50, durationS }),
    // Not a target: the floor every route of the platform stands on (helmet, request ids, metrics, logs).
    health: await load({ url: `${base}/health`, connections: 50, durationS }),
  };
});

const ratio = (x: number, y: number) => Math.round((x / y) * 100) / 100;
report('auth', [
  { workload: 'B7 Argon2id hashes/s', 'req/s': b7, p50_ms: '', p99_ms: '', non2xx: '', ratio: '', target: '' },
  { workload: 'B1 bare Fastify', 'req/s': b1.rps, p50_ms: b1.p50, p99_ms: b1.p99, non2xx: b1.non2xx, ratio: '', target: '' },
  { workload: 'W3 login', 'req/s': login.rps, p50_ms: login.p50, p99_ms: login.p99, non2xx: login.non2xx + login.errors, ratio: ratio(login.rps, b7), target: '≥ 0.8 × B7' },
  { workload: 'Evently GET /health (reference)', 'req/s': health.rps, p50_ms: health.p50, p99_ms: health.p99, non2xx: health.non2xx + health.errors, ratio: ratio(health.rps, b1.rps), target: '' },
  { workload: 'W3 GET /auth/me', 'req/s': me.rps, p50_ms: me.p50, p99_ms: me.p99, non2xx: me.non2xx + me.errors, ratio: ratio(me.rps, b1.rps), target: '≥ 0.6 × B1' },
], { mode, duration_s: durationS });
