import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, portTaken } from './process.js';

/**
 * A three-node Redis Cluster on this machine for the test run (`npm test` starts it when REDIS_URL
 * is set): three `redis-server --cluster-enabled yes` on free ports, joined by
 * `redis-cli --cluster create`, no replicas, no persistence. The suites that run on it read
 * TEST_REDIS_CLUSTER (`host:port,…`).
 */
export interface LocalRedisCluster {
  nodes: string;
  stop(): Promise<void>;
}

export async function startLocalRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'evently-redis-cluster-'));
  const ports: number[] = [];
  // Cluster nodes also listen on port + 10000 (the cluster bus): both must be free.
  while (ports.length < 3) {
    const p = await freePort();
    if (p < 55_000 && !ports.includes(p) && !(await portTaken(p + 10_000))) ports.push(p);
  }
  const servers: ChildProcess[] = ports.map((port) => spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`,
    '--cluster-node-timeout', '2000', '--dir', dir, '--save', '', '--appendonly', 'no',
  ], { stdio: 'ignore' }));
  const stop = async () => {
    for (const s of servers) s.kill('SIGKILL');
    await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) await waitFor(() => cli(port, 'ping') === 'PONG', `redis-server on ${port}`);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore', timeout: 30_000 });
    for (const port of ports) await waitFor(() => /cluster_state:ok/.test(cli(port, 'cluster', 'info')), `the cluster seen from ${port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), stop };
}

function cli(port: number, ...args: string[]): string {
  try {
    return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 5_000 }).trim();
  } catch {
    return '';
  }
}

async function waitFor(ok: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
