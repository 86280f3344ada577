import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../kernel/index.js';
import { apiFor } from './api.js';

/** The refresh cookie outlives the access token; the API decides how long a refresh token is good. */
const REFRESH_COOKIE_DAYS = 30;
/** How long a refresh's answer is shared with other requests that came with the same token. */
const REFRESH_SHARED_MS = 10_000;

/**
 * The cookies' names. With `Secure`, the `__Host-` prefix: the browser then takes them only from
 * this very host over HTTPS, so a sibling subdomain cannot plant a session or a CSRF secret.
 */
export function cookieNames(secure: boolean): { access: string; refresh: string; csrf: string } {
  const p = secure ? '__Host-' : '';
  return { access: `${p}evently_at`, refresh: `${p}evently_rt`, csrf: `${p}evently_csrf` };
}

export interface User {
  id: string;
  email: string;
  username: string;
  full_name: string | null;
  role: string;
}

export interface Session {
  token: string;
  user: User;
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export interface SessionStore {
  /** The signed-in user, refreshing the access token when it ran out; undefined when signed out. */
  load(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined>;
  /** After signing in: the tokens in cookies, and a new CSRF secret (the old one was a visitor's). */
  start(reply: FastifyReply, tokens: Tokens): void;
  /** After signing out: no tokens, no CSRF secret. */
  end(reply: FastifyReply): void;
}

type Refreshed = Tokens | 'refused' | 'unavailable';

/**
 * Cookies: `HttpOnly` (no script reads a token), `SameSite=Lax` (sent on a top-level navigation to
 * a shared event link, never on another site's POST; forms also carry a CSRF token), `Secure` as
 * WEB_SECURE_COOKIES says. Each page asks the API who the token belongs to, so a session revoked
 * elsewhere (sign-out everywhere, an admin's deactivation) ends here at once.
 *
 * Only the API's refusal of a token ends the browser's session: while auth is down or busy (5xx,
 * 429, no answer) a page is shown signed out and the cookies stay for the next one.
 */
export function createSessionStore(app: App, secure: boolean): SessionStore {
  const names = cookieNames(secure);
  const base = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };
  const memo = new WeakMap<FastifyRequest, Promise<Session | undefined>>();
  // A refresh token is single use, and auth takes a second use for theft and ends the session: two
  // pages loaded at once with an expired access token (tabs restored together) must refresh once.
  // Shared within this process; replicas of the web app do not share it.
  const refreshing = new Map<string, { until: number; result: Promise<Refreshed> }>();

  const save = (reply: FastifyReply, t: Tokens) => {
    void reply.setCookie(names.access, t.access_token, { ...base, maxAge: t.expires_in });
    void reply.setCookie(names.refresh, t.refresh_token, { ...base, maxAge: REFRESH_COOKIE_DAYS * 86_400 });
  };
  const clear = (reply: FastifyReply) => {
    void reply.clearCookie(names.access, base).clearCookie(names.refresh, base);
  };

  async function whoIs(request: FastifyRequest, token: string): Promise<User | 'refused' | 'unavailable'> {
    const { data, response } = await apiFor(app, request, token).GET('/api/v1/auth/me');
    if (!data) return response.status === 401 || response.status === 403 || response.status === 404 ? 'refused' : 'unavailable';
    return { id: data.id, email: data.email, username: data.username, full_name: data.full_name, role: data.role };
  }

  function refresh(request: FastifyRequest, token: string): Promise<Refreshed> {
    const now = Date.now();
    for (const [k, v] of refreshing) if (v.until < now) refreshing.delete(k);
    const shared = refreshing.get(token);
    if (shared) return shared.result;
    const result = apiFor(app, request).POST('/api/v1/auth/refresh', { body: { refresh_token: token } })
      .then(({ data, response }): Refreshed => data ?? (response.status === 400 || response.status === 401 ? 'refused' : 'unavailable'));
    refreshing.set(token, { until: now + REFRESH_SHARED_MS, result });
    return result;
  }

  async function load(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> {
    // Outside the web app's scope (or before its hooks ran) no cookie was read: signed out.
    const cookies = request.cookies ?? {};
    const access = cookies[names.access];
    if (access) {
      const user = await whoIs(request, access);
      if (typeof user === 'object') return { token: access, user };
      if (user === 'unavailable') return undefined;
    }
    const token = cookies[names.refresh];
    if (!token) return undefined;
    const tokens = await refresh(request, token);
    if (tokens === 'unavailable') return undefined;
    if (tokens === 'refused') {
      clear(reply);
      return undefined;
    }
    save(reply, tokens);
    const user = await whoIs(request, tokens.access_token);
    return typeof user === 'object' ? { token: tokens.access_token, user } : undefined;
  }

  return {
    load(request, reply) {
      let found = memo.get(request);
      if (!found) memo.set(request, (found = load(request, reply)));
      return found;
    },
    start(reply, tokens) {
      save(reply, tokens);
      void reply.clearCookie(names.csrf, base);
    },
    end(reply) {
      clear(reply);
      void reply.clearCookie(names.csrf, base);
    },
  };
}
