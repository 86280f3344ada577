/**
 * W1 and W2 of PERFORMANCE.md: public browsing of 1,000 published events, cached and uncached.
 * Detail reads (`/api/v1/events/{id}`) pick events by Zipf popularity; list reads pick, also by Zipf,
 * one of ~40 filtered pages (categories, full-text search, price ranges, sorts, later pages, upcoming).
 * Baselines of the same run: B2 (bare Fastify returning a fixed ~2 KB JSON body) and a bare SELECT
 * server (bench/baseline-server.ts `select`: bare Fastify and pg running the same queries on the same
 * database). Targets: cached ≥ 0.7 × B2 with p99 ≤ 20 ms; uncached ≥ 0.6 × the bare SELECT.
 *
 * Evently runs all-in-one as `npm start` does, first with its cache (EVENTS_CACHE=true, the default;
 * warmed first), then without (EVENTS_CACHE=false), on one scratch database: DATABASE_URL's server when
 * set, else an embedded PostgreSQL; REDIS_URL when set, else in-process adapters. BENCH_DURATION_S
 * (default 10) sets each load phase, BENCH_CONNECTIONS (default 50) the connections. Prints the table
 * and writes it to bench/results/browse.json and docs/benchmarks.md.
 */
import { load, openBacking, ratio, report, withBaseline, withEvently, type LoadResult } from './lib.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const EVENTS = 1_000;
const ADMIN = { email: 'bench-admin@example.com', password: 'Bench-passw0rd' };

/** A small seeded generator, so every run browses the same catalogue the same way. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Draws items by Zipf popularity (rank k with weight 1/k): a few are hot, most are rarely read. */
function zipf<T>(items: T[], rand: () => number): () => T {
  const cdf: number[] = [];
  items.reduce((sum, _, k) => (cdf[k] = sum + 1 / (k + 1)), 0);
  const total = cdf[cdf.length - 1]!;
  return () => {
    const x = rand() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

const CATEGORIES = ['music', 'theatre', 'sports', 'comedy', 'conference', 'festival', 'workshop', 'film'];
const WORDS = ['jazz', 'quartet', 'symphony', 'marathon', 'startup', 'poetry', 'robotics', 'vintage', 'acoustic', 'premiere', 'gala', 'harbour'];
const VENUES = Array.from({ length: 20 }, (_, i) => `${['Royal', 'Grand', 'Old', 'New', 'City'][i % 5]} ${['Hall', 'Arena', 'Theatre', 'Park'][i % 4]} ${i + 1}`);

function eventBody(i: number, rand: () => number): Record<string, unknown> {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const starts = new Date(Date.now() + (1 + Math.floor(rand() * 365)) * 86_400_000 + Math.floor(rand() * 86_400) * 1000);
  return {
    title: `${pick(WORDS)} ${pick(WORDS)} night ${i}`,
    description: `An evening of ${pick(WORDS)} and ${pick(WORDS)} at the ${pick(WORDS)} festival. `.repeat(3),
    venue: pick(VENUES),
    category: pick(CATEGORIES),
    starts_at: starts.toISOString(),
    ends_at: new Date(starts.getTime() + 3 * 3_600_000).toISOString(),
    timezone: pick(['Europe/London', 'America/New_York', 'Asia/Tokyo', 'UTC']),
    capacity: 50 + Math.floor(rand() * 5_000),
    price: (Math.floor(rand() * 20_000) / 100).toFixed(2),
  };
}

/** Creates and publishes the catalogue through the admin API, 8 at a time; returns the ids. */
async function seed(base: string): Promise<string[]> {
  const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${await login.text()}`);
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` };
  const rand = random(1);
  const bodies = Array.from({ length: EVENTS }, (_, i) => eventBody(i, rand));
  const ids: string[] = [];
  const post = async (path: string, body?: unknown) => {
    const r = await fetch(`${base}/api/v1/admin/events${path}`, { method: 'POST', headers, body: JSON.stringify(body ?? {}) });
    if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { id: string };
  };
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < bodies.length) {
      const { id } = await post('', bodies[next++]);
      await post(`/${id}/publish`);
      ids.push(id);
    }
  }));
  return ids.sort();
}

/**
 * Waits until every message the seeding wrote is relayed and consumed (each one drops cached pages):
 * measuring before that would measure invalidations, not the cache.
 */
async function settle(base: string): Promise<void> {
  const backlog = async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    return text.split('\n')
      .filter((l) => l.startsWith('evently_outbox_backlog') || l.startsWith('evently_bus_pending'))
      .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
  };
  const end = Date.now() + 120_000;
  while ((await backlog()) > 0) {
    if (Date.now() > end) throw new Error('the seeding messages were not consumed within 2 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** ~40 list pages a visitor might open, most popular first. */
function listPaths(): string[] {
  const paths = ['/api/v1/events', '/api/v1/events/upcoming', '/api/v1/events?page=2', '/api/v1/events?sort=price', '/api/v1/events?upcoming=true&has_seats=true'];
  for (const c of CATEGORIES) paths.push(`/api/v1/events?category=${c}`);
  for (const w of WORDS) paths.push(`/api/v1/events?q=${w}`);
  for (const c of CATEGORIES.slice(0, 4)) paths.push(`/api/v1/events?category=${c}&sort=-price`, `/api/v1/events?category=${c}&page=2`);
  paths.push('/api/v1/events?price_max=50', '/api/v1/events?price_min=100&sort=-price', '/api/v1/events?venue=arena', '/api/v1/events?q=jazz%20quartet&sort=starts_at');
  paths.push('/api/v1/events?page=5', '/api/v1/events?size=50', '/api/v1/events/upcoming?category=music', '/api/v1/events?sort=-created_at');
  return paths;
}

interface Workloads {
  detail: LoadResult;
  list: LoadResult;
}

/** The detail and list workloads against one server, each after a short warm-up with the same mix. */
async function browse(base: string, ids: string[]): Promise<Workloads> {
  const details = ids.map((id) => `/api/v1/events/${id}`);
  const run = async (paths: string[], seedN: number) => {
    const nextPath = zipf(paths, random(seedN));
    await load({ url: base, connections, durationS: Math.min(3, durationS), nextPath });
    return load({ url: base, connections, durationS, nextPath });
  };
  return { detail: await run(details, 2), list: await run(listPaths(), 3) };
}

const b2 = await withBaseline('json2k', {}, (base) => load({ url: `${base}/`, connections, durationS }));
const backing = await openBacking('browse');
const env: NodeJS.ProcessEnv = { ...backing.env, EVENTLY_ADMIN_EMAIL: ADMIN.email, EVENTLY_ADMIN_PASSWORD: ADMIN.password, AUTH_RATE_LIMITS: 'false' };
let ids: string[] = [];
const results = await (async () => {
  const cached = await withEvently(env, async (base) => {
    ids = await seed(base);
    await settle(base);
    return browse(base, ids);
  });
  const uncached = await withEvently({ ...env, EVENTS_CACHE: 'false' }, (base) => browse(base, ids));
  const select = await withBaseline('select', { DATABASE_URL: backing.databaseUrl }, (base) => browse(base, ids));
  return { cached, uncached, select };
})().finally(() => backing.close());

const row = (workload: string, r: LoadResult, base?: LoadResult, target = '') => ({
  workload,
  'req/s': r.rps,
  p50_ms: r.p50,
  p95_ms: r.p95,
  p99_ms: r.p99,
  non2xx: r.non2xx + r.errors,
  ratio: base ? ratio(r.rps, base.rps) : '',
  target,
});
const { cached, uncached, select } = results;
report('browse', [
  row('B2 bare Fastify, fixed ~2 KB JSON', b2),
  row('bare SELECT: detail', select.detail),
  row('bare SELECT: list', select.list),
  row('W1 cached: detail', cached.detail, b2, '≥ 0.7 × B2, p99 ≤ 20 ms'),
  row('W1 cached: list', cached.list, b2, '≥ 0.7 × B2, p99 ≤ 20 ms'),
  row('W2 uncached: detail', uncached.detail, select.detail, '≥ 0.6 × bare SELECT'),
  row('W2 uncached: list', uncached.list, select.list, '≥ 0.6 × bare SELECT'),
], { mode: backing.mode, events: EVENTS, connections, duration_s: durationS });
