/**
 * Start-up and idle footprint of the all-in-one process (PERFORMANCE.md: start < 5 s once the data
 * folder exists, idle RSS < 200 MB). Starts `evently start` with embedded PostgreSQL in a fresh data
 * folder twice (first start initialises it), measures time to /health/ready = 200 and the RSS of
 * the Evently process after 5 s idle. Prints a table and writes bench/results/startup.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './lib.js';

const root = path.resolve(import.meta.dirname, '..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'evently-bench-'));

async function run(label: string) {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, EVENTLY_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'start'], { cwd: root, env, stdio: 'ignore' });
  let readyMs = NaN;
  for (let i = 0; i < 1200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ok) {
      readyMs = performance.now() - started;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 5_000));
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
  const stopAt = performance.now();
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  return { run: label, ready_ms: Math.round(readyMs), idle_rss_mb: Math.round(rssKb / 1024), stop_ms: Math.round(performance.now() - stopAt) };
}

try {
  const rows = [await run('first start (initialises data folder)'), await run('second start (reuses it)')];
  console.table(rows);
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'bench/results/startup.json'), JSON.stringify({ at: new Date().toISOString(), rows }, null, 2));
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
