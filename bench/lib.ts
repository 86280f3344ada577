/** Shared pieces of the benchmark scripts: ports, readiness, the load generator, the report. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createLogger, startEmbeddedPostgres } from '../src/kernel/index.js';

export const root = path.resolve(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function waitReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}

/** A Node process running a TypeScript entry point the way `npm start` does. */
export function startTs(entry: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...profiling, path.join(root, entry), ...args], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * BENCH_PROFILE=<folder>: every server a benchmark starts writes a V8 CPU profile there when it
 * stops (open it in Chrome DevTools or speedscope). Node refuses --cpu-prof in NODE_OPTIONS.
 */
const profiling = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE)}`] : [];

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** The path of each request, when they differ (e.g. drawn from a popularity distribution). */
  nextPath?: () => string;
}

/**
 * Runs autocannon. Latency percentiles are computed from every response's time (autocannon's own
 * summary has no p95), in milliseconds.
 */
export async function load(o: LoadOptions): Promise<LoadResult> {
  const times: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: o.url,
      connections: o.connections,
      duration: o.durationS,
      method: o.method ?? 'GET',
      headers: o.headers,
      body: o.body,
      ...(o.nextPath ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, path: o.nextPath!() }) }] } : {}),
    }, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round((times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN) * 10) / 10;
  return { rps: Math.round(r.requests.average), p50: at(0.5), p95: at(0.95), p99: at(0.99), non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

/**
 * Prints the table, writes it as JSON to bench/results/<name>.json (not committed), and writes it as
 * the `<name>` section of docs/benchmarks.md (committed: the figures a reader sees), with where and
 * how it was measured.
 */
export function report(name: string, rows: Record<string, unknown>[], extra: Record<string, unknown> = {}): void {
  console.table(rows);
  const at = new Date().toISOString();
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, `bench/results/${name}.json`), JSON.stringify({ at, ...extra, rows }, null, 2));
  const machine = `${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`;
  const context = Object.entries(extra).map(([k, v]) => `${k}: ${String(v)}`).join('; ');
  writeDocsSection(name, [`Measured ${at.slice(0, 16).replace('T', ' ')} UTC on ${machine}${context ? `; ${context}` : ''}.`, '', markdownTable(rows)].join('\n'));
}

function markdownTable(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => String(v ?? '').replace(/\|/g, '\\|');
  return [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`)].join('\n');
}

const DOCS = path.join(root, 'docs/benchmarks.md');

/** Replaces the text between `<!-- name:begin -->` and `<!-- name:end -->`, or appends the section. */
function writeDocsSection(name: string, body: string): void {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const doc = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : '# Benchmarks\n\nWritten by the `npm run bench:*` scripts (see README.md, "Benchmarks").\n';
  const section = `${begin}\n${body}\n${end}`;
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  const next = i >= 0 && j > i ? doc.slice(0, i) + section + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n## ${name}\n\n${section}\n`;
  mkdirSync(path.dirname(DOCS), { recursive: true });
  writeFileSync(DOCS, next);
}

export const ratio = (x: number, y: number): number => Math.round((x / y) * 100) / 100;

export async function adminSql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(text).finally(() => client.end());
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

/**
 * Where a benchmark's Evently keeps its data: a scratch database on DATABASE_URL's server (or on an
 * embedded PostgreSQL started for the run, as `npm start` would), and a Redis key prefix of its own
 * when REDIS_URL is set (else Evently runs its in-process adapters). `close` drops all of it.
 */
export interface Backing {
  /** The scratch database, for baselines that read it directly. */
  databaseUrl: string;
  /** DATABASE_URL and REDIS_KEY_PREFIX for Evently. */
  env: NodeJS.ProcessEnv;
  /** e.g. "Redis, DATABASE_URL". */
  mode: string;
  close(): Promise<void>;
}

export async function openBacking(name: string): Promise<Backing> {
  const dataDir = process.env.DATABASE_URL ? undefined : mkdtempSync(path.join(tmpdir(), 'evently-bench-'));
  const embedded = dataDir ? await startEmbeddedPostgres({ dataDir, logger: createLogger({ level: 'warn', service: 'bench' }), database: 'postgres' }) : undefined;
  const server = process.env.DATABASE_URL ?? embedded!.url;
  const database = `evently_bench_${name}_${process.pid}`;
  await adminSql(server, `create database ${database}`);
  const url = new URL(server);
  url.pathname = `/${database}`;
  const prefix = process.env.REDIS_URL ? `evently:bench:${name}:${process.pid}:` : undefined;
  return {
    databaseUrl: url.toString(),
    env: { DATABASE_URL: url.toString(), ...(prefix ? { REDIS_KEY_PREFIX: prefix } : {}) },
    mode: `${process.env.REDIS_URL ? 'Redis' : 'in-process adapters'}, ${embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}`,
    async close() {
      await adminSql(server, `drop database if exists ${database} with (force)`);
      if (prefix) await dropRedisPrefix(process.env.REDIS_URL!, prefix);
      await embedded?.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `evently start` (all-in-one, as `npm start` does) with `env` on a free port until `fn` ends. */
export async function withEvently<T>(env: NodeJS.ProcessEnv, fn: (base: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = startTs('src/cli.ts', ['start'], { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port) });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health/ready`, child);
    return await fn(base);
  } finally {
    await stop(child);
  }
}

/** A bare Fastify baseline (bench/baseline-server.ts in `mode`) on a free port until `fn` ends. */
export async function withBaseline<T>(mode: string, env: NodeJS.ProcessEnv, fn: (base: string) => Promise<T>): Promise<T> {
  const port = await freePort();
  const child = startTs('bench/baseline-server.ts', [mode], { ...process.env, ...env, PORT: String(port) });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/`, child);
    return await fn(base);
  } finally {
    await stop(child);
  }
}
