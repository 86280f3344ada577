import assert from 'node:assert/strict';
import type { App } from '../../src/kernel/index.js';

/** HTTP helpers for suites that need signed-in users (through the real routes, never the database). */

export const PASSWORD = 'Corr3ct-horse';
/** A second strong password, for changes and resets. */
export const NEW_PASSWORD = 'N3w-battery-staple';

/** The admin EVENTLY_ADMIN_EMAIL/PASSWORD create at start (pass ADMIN_ENV to startTestEvently). */
export const ADMIN_EMAIL = 'root-admin@example.org';
export const ADMIN_PASSWORD = 'Adm1n-Passw0rd';
export const ADMIN_ENV = { EVENTLY_ADMIN_EMAIL: ADMIN_EMAIL, EVENTLY_ADMIN_PASSWORD: ADMIN_PASSWORD };

export interface Tokens {
  access_token: string;
  refresh_token: string;
  session_id: string;
}

export interface Called {
  status: number;
  code: string | undefined;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read it freely
  headers: Record<string, unknown>;
}

export async function call(app: App, method: string, url: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Called> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...o.headers },
    ...(o.body === undefined ? {} : { payload: o.body as object }),
  });
  const body = res.body ? res.json() : undefined;
  return { status: res.statusCode, code: body?.error?.code, body, headers: res.headers };
}

/** Polls until `fn` returns a value (not undefined) or the time is up. */
export async function eventually<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A code in a mail: six digits (verification) or XXXXX-XXXXX (password reset). */
const CODE = /\b(\d{6}|[0-9A-Z]{5}-[0-9A-Z]{5})\b/;

/** A code that is not `code` but has its form: the next six digits, or a reset code with its first character changed. */
export function wrongCode(code: string): string {
  if (/^\d{6}$/.test(code)) return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  return (code[0] === 'A' ? 'B' : 'A') + code.slice(1);
}

/** The newest code mailed to `email` (dev mailbox), optionally one different from `not`. */
export async function otpFor(app: App, email: string, o: { subject?: RegExp; not?: string } = {}): Promise<string> {
  return eventually(async () => {
    const r = await call(app, 'GET', `/dev/mailbox?to=${encodeURIComponent(email)}&limit=20`);
    for (const mail of r.body.items as { subject: string; text: string }[]) {
      if (o.subject && !o.subject.test(mail.subject)) continue;
      const code = CODE.exec(mail.text)?.[1];
      if (code && code !== o.not) return code;
    }
    return undefined;
  }, `a code mailed to ${email}`);
}

export async function register(app: App, email: string, o: { username?: string; password?: string; full_name?: string } = {}): Promise<Called> {
  return call(app, 'POST', '/api/v1/auth/register', {
    body: { email, username: o.username ?? email.split('@')[0]!.replace(/[^a-z0-9_-]/gi, '').slice(0, 90).padEnd(3, '_'), password: o.password ?? PASSWORD, ...(o.full_name ? { full_name: o.full_name } : {}) },
  });
}

export async function login(app: App, email: string, password = PASSWORD): Promise<Tokens> {
  const r = await call(app, 'POST', '/api/v1/auth/login', { body: { email, password } });
  assert.equal(r.status, 200, `login of ${email}: ${JSON.stringify(r.body)}`);
  return r.body as Tokens;
}

/** Registers, verifies with the mailed code (and the password) and signs in: a ready user. */
export async function signUp(app: App, email: string, o: { username?: string; password?: string } = {}): Promise<Tokens & { user_id: string }> {
  const r = await register(app, email, o);
  assert.equal(r.status, 202, `register ${email}: ${JSON.stringify(r.body)}`);
  const otp = await otpFor(app, email);
  const v = await call(app, 'POST', '/api/v1/auth/verify-email', { body: { email, otp, password: o.password ?? PASSWORD } });
  assert.equal(v.status, 200, `verify ${email}: ${JSON.stringify(v.body)}`);
  const tokens = await login(app, email, o.password);
  return { ...tokens, user_id: jwtClaims(tokens.access_token).sub as string };
}

/** Settings that take rate limits and the resend cooldown out of suites that do not test them. */
export const NO_AUTH_LIMITS = { AUTH_RATE_LIMITS: 'false', AUTH_OTP_RESEND_COOLDOWN_S: '0' };

/** The codes mailed to `email` with a subject matching `subject`, newest first (no waiting). */
export async function codesFor(app: App, email: string, subject: RegExp): Promise<string[]> {
  const r = await call(app, 'GET', `/dev/mailbox?to=${encodeURIComponent(email)}&limit=20`);
  return (r.body.items as { subject: string; text: string }[])
    .filter((m) => subject.test(m.subject))
    .map((m) => CODE.exec(m.text)?.[1])
    .filter((c): c is string => c !== undefined);
}

/** An error body without its request id: what two answers must share to be indistinguishable. */
export function withoutRequestId(body: { error?: Record<string, unknown> }): unknown {
  const { request_id: _id, ...error } = body.error ?? {};
  return { ...body, error };
}

/**
 * Direct SQL on a test database, for what HTTP cannot reach: reading the outbox, and time travel
 * (moving a session's timestamps into the past). One short-lived connection per call.
 */
export async function sqlRows<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The claims of a JWT, decoded without verification (the server verifies; tests only read them). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  assert.ok(payload, 'not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Paths of every key, at any depth, whose name mentions a token or a hash (listings must have none). */
export function secretKeys(value: unknown, at = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => secretKeys(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [...(/token|hash/i.test(k) ? [`${at}.${k}`] : []), ...secretKeys(v, `${at}.${k}`)]);
}

/** Waits until `GET /api/v1/auth/me` with `token` answers 401 with `code` (revocation takes effect within seconds). */
export async function refusedWith(app: App, token: string, code = 'TOKEN_REVOKED', timeoutMs = 10_000): Promise<Called> {
  let last: Called | undefined;
  try {
    return await eventually(async () => {
      last = await call(app, 'GET', '/api/v1/auth/me', { token });
      return last.status === 401 && last.code === code ? last : undefined;
    }, `the token to be refused with ${code}`, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last answer ${last?.status} ${JSON.stringify(last?.body)}`);
  }
}

/** POST /api/v1/auth/refresh with a refresh token. */
export function refreshWith(app: App, refreshToken: string): Promise<Called> {
  return call(app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: refreshToken } });
}
