import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import type { FastifyError } from 'fastify';
import { formValidatorCompiler, type App, type Logger } from '../../kernel/index.js';
import { accountRoutes } from './account.routes.js';
import { adminRoutes } from './admin.routes.js';
import { assetRoutes } from './assets.js';
import { bookingRoutes } from './bookings.routes.js';
import { publicRoutes } from './public.routes.js';
import { cookieNames, createSessionStore } from './session.js';
import { createWeb } from './web.js';
import type { WebForm } from './forms.js';
import { BadRequestPage, ExpiredFormPage, ForbiddenPage, NotFoundPage, ServerErrorPage, UnavailablePage } from './views/errors.js';

export interface WebAppOptions {
  /** The app whose API the pages use (in process, through `inject`). */
  api: App;
  logger: Logger;
  secureCookies: boolean;
  publicUrl: string | undefined;
}

/**
 * The web app (SPEC §9): pages rendered on the server from the public API, which they call through
 * the typed client like any other client; forms work without JavaScript, and a small bundle adds
 * the live seat count and the hold countdown. The browser's session is httpOnly cookies; every form
 * carries a CSRF token. Cookies, form bodies and CSRF exist only inside this scope: the API itself
 * still takes only JSON and Bearer tokens.
 */
export async function webApp(scope: App, o: WebAppOptions): Promise<void> {
  await scope.register(cookie);
  await scope.register(formbody, { bodyLimit: 64 * 1024 });
  await scope.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: cookieNames(o.secureCookies).csrf,
    // Lax, not Strict: a visit arriving from another site would not send a Strict secret, get a new
    // one, and every form already open in another tab would then fail. The token check protects.
    cookieOpts: { httpOnly: true, sameSite: 'lax', secure: o.secureCookies, path: '/' },
    getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf,
  });
  scope.setValidatorCompiler(formValidatorCompiler() as never);

  const assets = await assetRoutes(scope);
  const web = createWeb({ root: o.api, sessions: createSessionStore(o.api, o.secureCookies), assets, publicUrl: o.publicUrl, forbidden: ForbiddenPage });
  const form: WebForm = { protect: (request, reply, done) => scope.csrfProtection(request, reply, done) };

  // Error pages never load the session: the failure may be the session's (auth down), and a
  // request refused before the hooks ran has no cookies read.
  scope.setErrorHandler(async (err: FastifyError & { status?: number; headers?: Record<string, string> }, request, reply) => {
    const page = (view: Parameters<typeof web.anonymousPage>[2], status: number) => web.anonymousPage(request, reply, view, status);
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') return page(ExpiredFormPage, 403);
    if (err.validation) return page(BadRequestPage(`The form or link has a value the page cannot use (${err.message}).`), 400);
    // Fastify's own errors say statusCode, the kernel's AppError says status.
    const status = err.statusCode ?? err.status ?? 500;
    if (status >= 400 && status < 500) return page(BadRequestPage(err.message), status);
    if (status === 503) {
      void reply.headers(err.headers ?? { 'retry-after': '5' });
      return page(UnavailablePage, 503);
    }
    o.logger.error({ err, request_id: request.id }, 'web page failed');
    return page(ServerErrorPage(request.id), 500);
  });

  // Any other address a browser asks for is a page that does not exist, said as a page (API
  // clients, and paths under /api/, keep the envelope).
  scope.unknownPages.render = (request, reply) => web.anonymousPage(request, reply, NotFoundPage, 404);
  publicRoutes(scope, web, form);
  accountRoutes(scope, web, form);
  bookingRoutes(scope, web, form);
  adminRoutes(scope, web, form);
}
