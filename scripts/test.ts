/**
 * `npm test`: runs every *.test.ts under src/ and test/ with Node's test runner.
 * Without DATABASE_URL it starts an embedded PostgreSQL for the run. Each test file creates and drops
 * its own databases (named evently_t_<run>_…); whatever a killed run left behind is dropped here.
 * Arguments narrow the run: `npm test -- src/kernel/jobs` runs the files whose path contains that.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createLogger, startEmbeddedPostgres } from '../src/kernel/index.js';

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
if (!env.REDIS_URL) {
  console.log('*** NOTICE: REDIS_URL is not set: Redis-backed suites will be skipped (REQUIRE_REDIS=1 fails instead)');
}

const concurrency = Number(env.TEST_CONCURRENCY ?? 2);
const child = spawn(
  process.execPath,
  // A hung test fails after TEST_TIMEOUT_MS instead of holding CI until its own limit.
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${env.TEST_TIMEOUT_MS ?? 180_000}`, '--test-reporter=spec', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));

await dropLeftovers(env.DATABASE_URL, runId).catch((e: Error) => console.error(`could not drop test databases: ${e.message}`));
await embedded?.stop();
process.exit(code);

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
