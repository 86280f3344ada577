/**
 * `npm run cluster`: the split topology of docker-compose.yml as local processes, one per module,
 * each on its module's port (or --base-port N: N, N+1, … in module order). Needs REDIS_URL; without
 * DATABASE_URL it starts one embedded PostgreSQL that every process shares. Ctrl-C stops them all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MODULE_NAMES, MODULE_PORTS, createLogger, startEmbeddedPostgres, type ModuleName } from '../src/kernel/index.js';

const { values } = parseArgs({
  options: { 'base-port': { type: 'string' }, modules: { type: 'string' } },
  strict: true,
});
const root = path.resolve(import.meta.dirname, '..');
const modules = (values.modules?.split(',') ?? [...MODULE_NAMES]) as ModuleName[];
const unknown = modules.filter((m) => !MODULE_NAMES.includes(m));
if (unknown.length) fail(`unknown module(s) ${unknown.join(', ')}`);
if (!process.env.REDIS_URL) fail('REDIS_URL is required: the modules of a cluster talk through Redis');

const logger = createLogger({ level: 'info', service: 'cluster' });
const embedded = process.env.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: process.env.EVENTLY_DATA_DIR ?? path.join(root, '.evently'), logger });
const databaseUrl = process.env.DATABASE_URL ?? embedded!.url;

const portOf = (module: ModuleName, i: number) => (values['base-port'] ? Number(values['base-port']) + i : MODULE_PORTS[module]);
// The other modules verify tokens against the auth process's published keys.
const authIndex = modules.indexOf('auth');
const jwksUrl = process.env.AUTH_JWKS_URL ?? (authIndex >= 0 ? `http://127.0.0.1:${portOf('auth', authIndex)}/.well-known/jwks.json` : undefined);

const children: { module: ModuleName; port: number; child: ChildProcess }[] = [];
for (const [i, module] of modules.entries()) {
  const port = portOf(module, i);
  const roles = module === 'notifications' ? 'worker,scheduler' : 'http,worker,scheduler';
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli.ts'), 'start', '--modules', module, '--roles', roles, '--port', String(port)], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, ...(jwksUrl ? { AUTH_JWKS_URL: jwksUrl } : {}) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) logger.error({ module, code, signal }, 'module process exited; stopping the cluster');
    void stop(code ?? 1);
  });
  children.push({ module, port, child });
}
process.stderr.write(`\n  Evently cluster\n${children.map((c) => `    ${c.module.padEnd(14)} http://127.0.0.1:${c.port}`).join('\n')}\n\n`);

let stopping: Promise<void> | undefined;
function stop(code = 0): Promise<void> {
  stopping ??= (async () => {
    await Promise.all(
      children.map(({ child }) =>
        child.exitCode !== null || child.signalCode !== null ? undefined : new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM')))),
    );
    await embedded?.stop();
    process.exit(code);
  })();
  return stopping;
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

function fail(message: string): never {
  process.stderr.write(`cluster: ${message}\n`);
  process.exit(64);
}
