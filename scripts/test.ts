/**
 * `npm test`: runs every *.test.ts under src/ and test/ with Node's test runner.
 * Without DATABASE_URL it starts an embedded PostgreSQL for the run. Each test file creates and drops
 * its own databases (named evently_t_<run>_…); whatever a killed run left behind is dropped here.
 * Arguments narrow the run: `npm test -- src/kernel/jobs` runs the files whose path contains that.
 * The run ends with what was skipped and why: each skipped suite with its number of tests, as noted
 * by test/support/suite.ts (node:test's own summary above it counts skipped tests, not suites).
 * With REDIS_URL it also starts a three-node Redis Cluster (TEST_REDIS_CLUSTER) for the suites that
 * run on one, unless TEST_REDIS_CLUSTER already names one.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createLogger, startEmbeddedPostgres } from '../src/kernel/index.js';
import type { SkippedEntry } from '../test/support/suite.js';
import { startLocalRedisCluster, type LocalRedisCluster } from '../test/support/redis-cluster.js';

const root = path.resolve(import.meta.dirname, '..');
const filters = process.argv.slice(2);

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(full).isDirectory()) return findTests(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

const files = ['src', 'test']
  .flatMap((d) => findTests(path.join(root, d)))
  .map((f) => path.relative(root, f))
  .filter((f) => !filters.length || filters.some((x) => f.includes(x)))
  .sort();
if (!files.length) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

const runId = randomBytes(3).toString('hex');
const env: NodeJS.ProcessEnv = { ...process.env, EVENTLY_TEST_RUN: runId };
let embedded: Awaited<ReturnType<typeof startEmbeddedPostgres>> | undefined;
if (!env.DATABASE_URL) {
  const dataDir = path.join(root, '.evently', 'test-pg');
  console.log(`DATABASE_URL is not set: starting an embedded PostgreSQL in ${dataDir} for the tests`);
  embedded = await startEmbeddedPostgres({ dataDir, logger: createLogger({ level: 'warn', service: 'test' }), database: 'postgres' });
  env.DATABASE_URL = embedded.url;
}
if (!env.REDIS_URL && env.REQUIRE_REDIS === '1') {
  console.log('*** REQUIRE_REDIS=1 but REDIS_URL is not set: the files with Redis-backed suites will fail');
} else if (!env.REDIS_URL) {
  console.log('*** NOTICE: REDIS_URL is not set: Redis-backed suites will be skipped, listed at the end (REQUIRE_REDIS=1 fails instead)');
}

// The Redis-backed contract suites and the cluster-mode test also run on a Redis Cluster.
let redisCluster: LocalRedisCluster | undefined;
if (env.REDIS_URL && !env.TEST_REDIS_CLUSTER) {
  try {
    redisCluster = await startLocalRedisCluster();
    env.TEST_REDIS_CLUSTER = redisCluster.nodes;
    console.log(`a three-node Redis Cluster for the tests: ${redisCluster.nodes}`);
  } catch (e) {
    const why = `could not start a local Redis Cluster (redis-server and redis-cli are needed): ${(e as Error).message}`;
    if (env.REQUIRE_REDIS === '1') {
      console.error(`*** REQUIRE_REDIS=1: ${why}`);
      await embedded?.stop();
      process.exit(1);
    }
    console.log(`*** NOTICE: ${why}; the Redis Cluster suites will be skipped`);
  }
}

const skipsDir = mkdtempSync(path.join(tmpdir(), 'evently-test-'));
env.EVENTLY_TEST_SKIPS = path.join(skipsDir, 'skipped.jsonl');

const concurrency = Number(env.TEST_CONCURRENCY ?? 2);
const child = spawn(
  process.execPath,
  // A hung test fails after TEST_TIMEOUT_MS instead of holding CI until its own limit. The limit
  // also bounds a whole file: the command-line suite (processes started one after another) took
  // 180 s on a slow day of a 2-core machine, so it is 300 s.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${env.TEST_TIMEOUT_MS ?? 300_000}`, '--test-reporter=spec', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
console.log(`\n${skipSummary(env.EVENTLY_TEST_SKIPS)}`);
if (!env.REDIS_URL && env.REQUIRE_REDIS === '1') console.log('*** REQUIRE_REDIS=1 but REDIS_URL is not set: the files with Redis-backed suites failed');
rmSync(skipsDir, { recursive: true, force: true });

await redisCluster?.stop();
await dropLeftovers(env.DATABASE_URL, runId).catch((e: Error) => console.error(`could not drop test databases: ${e.message}`));
await embedded?.stop();
process.exit(code);

/** Per reason: how many suites and tests were skipped, then each suite (file › suite, tests). */
function skipSummary(log: string): string {
  let lines: string[];
  try {
    lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    lines = []; // nothing was skipped: no test file wrote to it
  }
  const byReason = new Map<string, SkippedEntry[]>();
  for (const e of lines.map((l) => JSON.parse(l) as SkippedEntry)) byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e]);
  if (!byReason.size) return 'skipped: none';
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [...byReason].flatMap(([reason, entries]) => {
    entries.sort((a, b) => a.file.localeCompare(b.file));
    const suites = entries.filter((e) => e.suite).length;
    const single = entries.length - suites;
    const tests = entries.reduce((n, e) => n + e.tests, 0);
    const what = [plural(suites, 'suite'), ...(single ? [plural(single, 'single test')] : [])].join(' and ');
    return [
      `skipped: ${what}, ${plural(tests, 'test')} in all — ${reason}`,
      ...entries.map((e) => `  ${[e.file, ...e.names].join(' › ')} (${e.suite ? plural(e.tests, 'test') : 'single test'})`),
    ];
  }).join('\n');
}

/** Drops the databases this run's files did not drop (a failed or killed test file). */
async function dropLeftovers(url: string, run: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `select datname from pg_database where datname like $1`,
      [`evently_t_${run}_%`],
    );
    for (const { datname } of rows) await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`);
  } finally {
    await client.end();
  }
}
