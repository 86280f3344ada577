import type { FastifyReply, FastifyRequest } from 'fastify';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { EventlyClient } from '../../client/index.js';
import type { App } from '../../kernel/index.js';
import { apiFor } from './api.js';
import type { Assets } from './assets.js';
import type { Session, SessionStore } from './session.js';
import type { PageContext } from './views/layout.js';
import type { EventView } from './views/events.js';
import { safeNext } from './views/format.js';

export type SessionHandler = (request: FastifyRequest, reply: FastifyReply, session: Session) => Promise<unknown>;

/** What every page route is given: the API, the session, and how to answer with a page. */
export interface Web {
  api(request: FastifyRequest, session?: Session): EventlyClient;
  sessions: SessionStore;
  context(request: FastifyRequest, reply: FastifyReply): Promise<PageContext>;
  /** Answers with the page the view renders for this request (status 200 unless given). */
  page(request: FastifyRequest, reply: FastifyReply, view: (ctx: PageContext) => VNode, status?: number): Promise<FastifyReply>;
  /**
   * A page for anyone, without the session or a CSRF token: for answers made outside the web app's
   * scope (the not-found handler), where its cookies are not read. It must hold no form.
   */
  anonymousPage(request: FastifyRequest, reply: FastifyReply, view: (ctx: PageContext) => VNode, status: number): FastifyReply;
  /** A handler for signed-in users only: visitors are sent to sign in, and come back here after. */
  asUser(handler: SessionHandler): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** A handler for admins only: others get a 403 page, visitors the sign-in page. */
  asAdmin(handler: SessionHandler): (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  /** The events these rows name, each asked of the API once (rows carry only the event's id). */
  events(request: FastifyRequest, session: Session, ids: string[]): Promise<Map<string, EventView>>;
  /** An absolute URL of this site (WEB_PUBLIC_URL, else the request's own origin). */
  absolute(request: FastifyRequest, path: string): string;
}

/** The page a form was sent from (a same-site Referer), to come back to after signing in; else home. */
function formPage(request: FastifyRequest): string {
  const from = request.headers.referer;
  if (!from || !URL.canParse(from)) return '/';
  const url = new URL(from);
  const self = `${request.protocol}://${request.host}`;
  // Compared as URLs, so "host:80" and "host" are one origin.
  return URL.canParse(self) && url.origin === new URL(self).origin ? safeNext(url.pathname + url.search) : '/';
}

const send = (reply: FastifyReply, page: VNode, status: number) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(`<!doctype html>${renderToString(page)}`);

export function createWeb(o: { root: App; sessions: SessionStore; assets: Assets; publicUrl: string | undefined; forbidden: (ctx: PageContext) => VNode }): Web {
  /** The session, or a redirect to sign-in that comes back here (then undefined: the reply is sent). */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> {
    const session = await o.sessions.load(request, reply);
    if (!session) await reply.redirect(`/login?next=${encodeURIComponent(request.method === 'GET' ? request.url : formPage(request))}`, 303);
    return session;
  }

  const web: Web = {
    api: (request, session) => apiFor(o.root, request, session?.token),
    sessions: o.sessions,
    async context(request, reply) {
      const session = await o.sessions.load(request, reply);
      return { user: session?.user, csrf: reply.generateCsrf(), path: request.url, assets: o.assets };
    },
    async page(request, reply, view, status = 200) {
      return send(reply, view(await web.context(request, reply)), status);
    },
    anonymousPage(request, reply, view, status) {
      return send(reply, view({ user: undefined, csrf: '', path: request.url, assets: o.assets }), status);
    },
    asUser: (handler) => async (request, reply) => {
      const session = await signedIn(request, reply);
      return session ? handler(request, reply, session) : reply;
    },
    asAdmin: (handler) => async (request, reply) => {
      const session = await signedIn(request, reply);
      if (!session) return reply;
      if (session.user.role !== 'admin') return web.page(request, reply, o.forbidden, 403);
      return handler(request, reply, session);
    },
    async events(request, session, ids) {
      const api = web.api(request, session);
      const found = await Promise.all([...new Set(ids)].map(async (id) => [id, (await api.GET('/api/v1/events/{id}', { params: { path: { id } } })).data] as const));
      return new Map(found.flatMap(([id, e]) => (e ? [[id, e] as const] : [])));
    },
    absolute(request, path) {
      // A Host header that is no host (`[`, a NUL) gives a relative link rather than a failed page.
      const origin = o.publicUrl ?? (URL.canParse(`${request.protocol}://${request.host}`) ? `${request.protocol}://${request.host}` : undefined);
      return origin ? new URL(path, origin).toString() : path;
    },
  };
  return web;
}
