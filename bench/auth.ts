/**
 * W3 of PERFORMANCE.md: login and authenticated `GET /api/v1/auth/me`, against baselines measured in
 * the same run: B7 (Argon2id hashes/s with the project's parameters) and B1 (bare Fastify "hello
 * world"). Targets: login ≥ 0.8 × B7, /me ≥ 0.6 × B1. Evently runs all-in-one as `npm start` does,
 * on DATABASE_URL/REDIS_URL when set (a scratch database is created and dropped), else embedded.
 * BENCH_DURATION_S (default 10) sets each load phase. Writes bench/results/auth.json.
 */
import { availableParallelism } from 'node:os';
import { hashPassword } from '../src/modules/auth/index.js';
import { load, openBacking, ratio, report, withBaseline, withEvently } from './lib.js';

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

const b7 = await argon2Rate();
const b1 = await withBaseline('hello', {}, (base) => load({ url: `${base}/`, connections: 50, durationS }));
const backing = await openBacking('auth');
const env: NodeJS.ProcessEnv = {
  ...backing.env,
  AUTH_RATE_LIMITS: 'false', // a load test of one account would hit the per-email limit at once
  EVENTLY_ADMIN_EMAIL: EMAIL,
  EVENTLY_ADMIN_PASSWORD: PASSWORD,
};
const { login, me, health, mode } = await withEvently(env, async (base) => {
  const info = (await (await fetch(`${base}/info`)).json()) as { mode: string };
  const body = JSON.stringify({ email: EMAIL, password: PASSWORD });
  const headers = { 'content-type': 'application/json' };
  const first = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers, body });
  if (first.status !== 200) throw new Error(`login failed: ${first.status} ${await first.text()}`);
  const { access_token } = (await first.json()) as { access_token: string };
  return {
    mode: `${info.mode}, ${backing.mode}`,
    login: await load({ url: `${base}/api/v1/auth/login`, method: 'POST', headers, body, connections: 16, durationS }),
    me: await load({ url: `${base}/api/v1/auth/me`, headers: { authorization: `Bearer ${access_token}` }, connections: 50, durationS }),
    // Not a target: the floor every route of the platform stands on (helmet, request ids, metrics, logs).
    health: await load({ url: `${base}/health`, connections: 50, durationS }),
  };
}).finally(() => backing.close());

report('auth', [
  { workload: 'B7 Argon2id hashes/s', 'req/s': b7, p50_ms: '', p99_ms: '', non2xx: '', ratio: '', target: '' },
  { workload: 'B1 bare Fastify', 'req/s': b1.rps, p50_ms: b1.p50, p99_ms: b1.p99, non2xx: b1.non2xx, ratio: '', target: '' },
  { workload: 'W3 login', 'req/s': login.rps, p50_ms: login.p50, p99_ms: login.p99, non2xx: login.non2xx + login.errors, ratio: ratio(login.rps, b7), target: '≥ 0.8 × B7' },
  { workload: 'Evently GET /health (reference)', 'req/s': health.rps, p50_ms: health.p50, p99_ms: health.p99, non2xx: health.non2xx + health.errors, ratio: ratio(health.rps, b1.rps), target: '' },
  { workload: 'W3 GET /auth/me', 'req/s': me.rps, p50_ms: me.p50, p99_ms: me.p99, non2xx: me.non2xx + me.errors, ratio: ratio(me.rps, b1.rps), target: '≥ 0.6 × B1' },
], { mode, duration_s: durationS });
