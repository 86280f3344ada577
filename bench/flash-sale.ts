/**
 * W4 of PERFORMANCE.md, the flash sale: one event of C seats, N distinct users each sending one
 * booking at once (real access tokens, an Idempotency-Key each, one client retry after a timeout),
 * through the real HTTP path of `evently start`, for every write strategy of holds. Baselines of the
 * same run: B4 (pgbench, the hot-row conditional decrement), B4′ (pgbench, the project's own hold
 * statements for one hot event: the `single` strategy's transaction) and L (the original's design, a
 * per-event lock held across read-check-write, on the same HTTP stack: bench/lock-server.ts).
 *
 * Reports successful holds/s, requests/s, p50/p95/p99 of successes and of rejections, the ratios,
 * CPU of the server and of this process, and the gates: oversell, duplicate bookings, 5xx, 2xx
 * bookings missing from the database. Floor: holds/s ≥ 1.5 × B4 and ≥ 10 × L, every gate 0.
 *
 * DATABASE_URL's server (else an embedded PostgreSQL) and REDIS_URL when set, as the other
 * benchmarks. BENCH_SEATS (default "100,1000"), BENCH_USERS (default "1000,5000"), BENCH_CONNECTIONS
 * (default 256: the client's sockets; the rest of the N requests queue in the client),
 * BENCH_DURATION_S (pgbench runs, default 10). Writes bench/results/flash-sale.json and its section
 * of docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { generateSigningKey, signAccessToken, type SigningKey } from '../src/kernel/index.js';
import { freePort, openBacking, ratio, report, startTs, stop, waitReady } from './lib.js';

const seatsList = (process.env.BENCH_SEATS ?? '100,1000').split(',').map(Number);
const usersList = (process.env.BENCH_USERS ?? '1000,5000').split(',').map(Number);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 256);
const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const ADMIN = { email: 'bench-admin@example.com', password: 'Bench-passw0rd' };
const TIMEOUT_MS = 10_000;
/** `lock` is the L baseline: leave it out only to profile the others. */
const strategies = (process.env.BENCH_STRATEGIES ?? 'batch,single,lock').split(',');

const quantile = (xs: number[], q: number): number | string => {
  if (!xs.length) return '–';
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10;
};
const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
};

function pgbench(url: string, script: string, clients: number): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'evently-pgbench-'));
  try {
    const file = path.join(dir, 'script.sql');
    writeFileSync(file, script);
    const out = execFileSync('pgbench', ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(durationS), '-f', file, url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return Math.round(Number(/tps = ([\d.]+)/.exec(out)![1]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sqlOn(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

/** B4 and B4′ on the scratch database (whose bookings schema Evently has migrated). */
async function baselines(url: string): Promise<{ b4: number; b4prime: number }> {
  await sqlOn(url, 'create table if not exists public.inv (id int primary key, remaining bigint not null)');
  await sqlOn(url, 'insert into public.inv values (1, 1000000000) on conflict do nothing');
  const b4 = pgbench(url, 'UPDATE public.inv SET remaining = remaining - 1 WHERE id = 1 AND remaining >= 1;\n', 64);
  const event = randomUUID();
  await sqlOn(url, 'insert into bookings.ledgers (event_id, capacity, total, available, held, confirmed) values ($1, 1000000000, 1000000000, 1000000000, 0, 0)', [event]);
  // The single strategy's hold, as SQL: the user's cap, the booking, and last the ledger's update.
  const hold = [
    '\\set u random(1, 1000000000)',
    'BEGIN;',
    `INSERT INTO bookings.user_seats (user_id, event_id, seats) VALUES (md5(:u::text)::uuid, '${event}', 1) ON CONFLICT (user_id, event_id) DO UPDATE SET seats = bookings.user_seats.seats + 1 WHERE bookings.user_seats.seats + 1 <= 10;`,
    `INSERT INTO bookings.bookings (id, reference, user_id, event_id, quantity, status, amount, currency, expires_at) VALUES (gen_random_uuid(), 'BK-20300101-' || upper(substr(md5(random()::text), 1, 8)), md5(:u::text)::uuid, '${event}', 1, 'pending', 10, 'USD', now() + interval '15 minutes');`,
    `UPDATE bookings.ledgers SET available = available - 1, held = held + 1, version = version + 1 WHERE event_id = '${event}' AND available >= 1;`,
    'COMMIT;',
    '',
  ].join('\n');
  const b4prime = pgbench(url, hold, 64);
  for (const table of ['bookings', 'user_seats', 'ledgers']) await sqlOn(url, `delete from bookings.${table} where event_id = $1`, [event]);
  return { b4, b4prime };
}

interface Sale {
  strategy: string;
  seats: number;
  users: number;
  holds: number;
  holdsPerS: number;
  requestsPerS: number;
  ok: number[];
  refused: number[];
  gates: { oversell: number; duplicates: number; server_errors: number; missing: number };
  serverCpu: number;
  clientCpu: number;
}

/** One sale: a new event of `seats` seats, `users` users each sending one hold at once. */
async function sale(o: { base: string; pid: number; dbUrl: string; key: SigningKey; adminToken: string; strategy: string; seats: number; users: number }): Promise<Sale> {
  const adminHeaders = { 'content-type': 'application/json', authorization: `Bearer ${o.adminToken}` };
  const created = await (await fetch(`${o.base}/api/v1/admin/events`, {
    method: 'POST', headers: adminHeaders,
    body: JSON.stringify({ title: `Flash sale ${o.seats}/${o.users}`, venue: 'Arena', category: 'music', starts_at: new Date(Date.now() + 30 * 86_400_000).toISOString(), capacity: o.seats, price: '10.00', max_per_booking: 1, max_per_user: 1 }),
  })).json() as { id: string };
  await fetch(`${o.base}/api/v1/admin/events/${created.id}/publish`, { method: 'POST', headers: adminHeaders, body: '{}' });
  for (let i = 0; ; i++) {
    const check = await (await fetch(`${o.base}/api/v1/availability/events/${created.id}/check`)).json().catch(() => ({})) as { bookable?: boolean };
    if (check.bookable) break;
    if (i > 300) throw new Error('the event never went on sale in bookings');
    await new Promise((r) => setTimeout(r, 50));
  }
  const tokens = await Promise.all(Array.from({ length: o.users }, async () => (await signAccessToken(o.key, { userId: randomUUID(), sessionId: randomUUID(), role: 'user' }, { issuer: 'evently', audience: 'evently-api', ttlSeconds: 900 })).token));
  const dispatcher = new Agent({ connections, pipelining: 1 });
  const body = JSON.stringify({ event_id: created.id, quantity: 1 });
  const send = async (token: string, key: string): Promise<{ status: number; ms: number; id?: string }> => {
    const started = performance.now();
    const r = await request(`${o.base}/api/v1/bookings`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key }, body, dispatcher,
      headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS,
    });
    const json = (await r.body.json()) as { id?: string };
    return { status: r.statusCode, ms: performance.now() - started, id: json.id };
  };
  const serverBefore = cpuTicks(o.pid);
  const clientBefore = cpuTicks(process.pid);
  const t0 = performance.now();
  let lastOk = t0;
  const answers = await Promise.all(tokens.map(async (token) => {
    const key = randomUUID();
    // One client retry, with the same key, after a timeout or a refused connection.
    const a: { status: number; ms: number; id?: string } = await send(token, key).catch(() => send(token, key)).catch(() => ({ status: 0, ms: TIMEOUT_MS }));
    if (a.status === 201) lastOk = Math.max(lastOk, performance.now());
    return a;
  }));
  const elapsedS = (performance.now() - t0) / 1000;
  const serverCpu = (cpuTicks(o.pid) - serverBefore) / elapsedS;
  const clientCpu = (cpuTicks(process.pid) - clientBefore) / elapsedS;
  await dispatcher.close();

  const ok = answers.filter((a) => a.status === 201);
  const [ledger] = (await sqlOn(o.dbUrl, 'select held + confirmed as taken from bookings.ledgers where event_id = $1', [created.id])).rows as { taken: number }[];
  const [counts] = (await sqlOn(o.dbUrl, `select count(*)::int as bookings, count(*) - count(distinct user_id) as duplicates,
    count(*) filter (where id = any($2::uuid[]))::int as found from bookings.bookings where event_id = $1 and status in ('pending', 'confirmed')`, [created.id, ok.map((a) => a.id)])).rows as { bookings: number; duplicates: string; found: number }[];
  return {
    strategy: o.strategy,
    seats: o.seats,
    users: o.users,
    holds: ok.length,
    holdsPerS: Math.round(ok.length / ((lastOk - t0) / 1000)),
    requestsPerS: Math.round(o.users / elapsedS),
    ok: ok.map((a) => a.ms),
    refused: answers.filter((a) => a.status === 409).map((a) => a.ms),
    gates: {
      oversell: Math.max(0, counts!.bookings - o.seats, (ledger?.taken ?? 0) - o.seats),
      duplicates: Number(counts!.duplicates),
      server_errors: answers.filter((a) => a.status >= 500 || a.status === 0).length,
      missing: ok.length - counts!.found,
    },
    serverCpu: Math.round(serverCpu),
    clientCpu: Math.round(clientCpu),
  };
}

/** Runs Evently (or the L baseline server) with the strategy, then every (C, N) sale against it. */
async function salesWith(strategy: string, entry: string, args: string[], backing: Awaited<ReturnType<typeof openBacking>>, key: { key: SigningKey; pem: string }): Promise<Sale[]> {
  const port = await freePort();
  const child = startTs(entry, args, {
    ...process.env, ...backing.env, PORT: String(port), LOG_LEVEL: 'warn',
    AUTH_SIGNING_KEY: key.pem, AUTH_RATE_LIMITS: 'false', EVENTLY_ADMIN_EMAIL: ADMIN.email, EVENTLY_ADMIN_PASSWORD: ADMIN.password,
    BOOKINGS_WRITE_STRATEGY: strategy === 'lock' ? 'single' : strategy, DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? '20',
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitReady(`${base}/health/ready`, child, 120_000);
    const login = await (await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json() as { access_token: string };
    const results: Sale[] = [];
    // A small sale first, not reported: the server's code is compiled and its pools are open.
    await sale({ base, pid: child.pid!, dbUrl: backing.databaseUrl, key: key.key, adminToken: login.access_token, strategy, seats: 50, users: 300 });
    for (const seats of seatsList) {
      for (const users of usersList) {
        results.push(await sale({ base, pid: child.pid!, dbUrl: backing.databaseUrl, key: key.key, adminToken: login.access_token, strategy, seats, users }));
        const last = results.at(-1)!;
        console.log(`${strategy} C=${seats} N=${users}: ${last.holds} holds, ${last.holdsPerS} holds/s, gates ${JSON.stringify(last.gates)}`);
      }
    }
    return results;
  } finally {
    await stop(child);
  }
}

const backing = await openBacking('flash');
const key = await generateSigningKey();
let rows: Record<string, unknown>[] = [];
let floorMet = true;
try {
  const sales: Sale[] = [];
  for (const strategy of strategies) {
    sales.push(...await salesWith(strategy, strategy === 'lock' ? 'bench/lock-server.ts' : 'src/cli.ts', strategy === 'lock' ? [] : ['start'], backing, key));
  }
  const { b4, b4prime } = await baselines(backing.databaseUrl);
  const lOf = (s: Sale) => sales.find((x) => x.strategy === 'lock' && x.seats === s.seats && x.users === s.users) ?? { holdsPerS: NaN };
  rows = [
    { workload: 'B4 pgbench hot row (64 clients)', 'holds/s': b4, 'req/s': '', ok_p50_ms: '', ok_p95_ms: '', ok_p99_ms: '', refused_p50_ms: '', refused_p99_ms: '', 'x B4': 1, 'x L': '', gates: '', cpu: '' },
    { workload: "B4' pgbench, the single strategy's hold statements", 'holds/s': b4prime, 'x B4': ratio(b4prime, b4) },
    ...sales.map((s) => {
      const gates = Object.values(s.gates).every((g) => g === 0);
      if (s.strategy === 'batch' && (!gates || s.holdsPerS < 1.5 * b4 || s.holdsPerS < 10 * lOf(s).holdsPerS)) floorMet = false;
      return {
        workload: `${s.strategy === 'lock' ? 'L (per-event lock)' : s.strategy} C=${s.seats} N=${s.users}`,
        'holds/s': s.holdsPerS,
        'req/s': s.requestsPerS,
        ok_p50_ms: quantile(s.ok, 0.5),
        ok_p95_ms: quantile(s.ok, 0.95),
        ok_p99_ms: quantile(s.ok, 0.99),
        refused_p50_ms: quantile(s.refused, 0.5),
        refused_p99_ms: quantile(s.refused, 0.99),
        'x B4': ratio(s.holdsPerS, b4),
        'x L': s.strategy === 'lock' ? '' : ratio(s.holdsPerS, lOf(s).holdsPerS),
        gates: gates ? '0' : JSON.stringify(s.gates),
        cpu: `server ${s.serverCpu}%, client ${s.clientCpu}%`,
      };
    }),
  ];
} finally {
  await backing.close();
}
report('flash-sale', rows, { mode: backing.mode, connections, floor: '≥ 1.5 × B4 and ≥ 10 × L holds/s (batch), every gate 0', floor_met: floorMet });
