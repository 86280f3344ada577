import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../kernel/index.js';
import { apiFor } from './api.js';

/** The browser's session: httpOnly cookies holding the API's tokens, never readable by scripts. */
export const ACCESS_COOKIE = 'evently_at';
export const REFRESH_COOKIE = 'evently_rt';
/** The refresh cookie outlives the access token; the API decides how long a refresh token is good. */
const REFRESH_COOKIE_DAYS = 30;

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
  save(reply: FastifyReply, tokens: Tokens): void;
  clear(reply: FastifyReply): void;
}

/**
 * Cookies: `HttpOnly` (no script reads a token), `SameSite=Lax` (sent on a top-level navigation to
 * a shared event link, never on another site's POST; forms also carry a CSRF token), `Secure` as
 * WEB_SECURE_COOKIES says. Each page asks the API who the token belongs to, so a session revoked
 * elsewhere (sign-out everywhere, an admin's deactivation) ends here at once.
 */
export function createSessionStore(app: App, secure: boolean): SessionStore {
  const base = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };
  const memo = new WeakMap<FastifyRequest, Promise<Session | undefined>>();

  const save = (reply: FastifyReply, t: Tokens) => {
    void reply.setCookie(ACCESS_COOKIE, t.access_token, { ...base, maxAge: t.expires_in });
    void reply.setCookie(REFRESH_COOKIE, t.refresh_token, { ...base, maxAge: REFRESH_COOKIE_DAYS * 86_400 });
  };
  const clear = (reply: FastifyReply) => {
    void reply.clearCookie(ACCESS_COOKIE, base).clearCookie(REFRESH_COOKIE, base);
  };

  async function whoIs(request: FastifyRequest, token: string): Promise<User | undefined> {
    const { data } = await apiFor(app, request, token).GET('/api/v1/auth/me');
    return data ? { id: data.id, email: data.email, username: data.username, full_name: data.full_name, role: data.role } : undefined;
  }

  async function load(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> {
    const access = request.cookies[ACCESS_COOKIE];
    if (access) {
      const user = await whoIs(request, access);
      if (user) return { token: access, user };
    }
    const refresh = request.cookies[REFRESH_COOKIE];
    if (!refresh) return undefined;
    const { data } = await apiFor(app, request).POST('/api/v1/auth/refresh', { body: { refresh_token: refresh } });
    const user = data && (await whoIs(request, data.access_token));
    if (!data || !user) {
      clear(reply);
      return undefined;
    }
    save(reply, data);
    return { token: data.access_token, user };
  }

  return {
    load(request, reply) {
      let found = memo.get(request);
      if (!found) memo.set(request, (found = load(request, reply)));
      return found;
    },
    save,
    clear,
  };
}
