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
import { createSessionStore } from './session.js';
import { createWeb } from './web.js';
import type { WebForm } from './forms.js';
import { BadRequestPage, ExpiredFormPage, ForbiddenPage, NotFoundPage, ServerErrorPage } from './views/errors.js';

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
    cookieKey: 'evently_csrf',
    cookieOpts: { httpOnly: true, sameSite: 'strict', secure: o.secureCookies, path: '/' },
    getToken: (request) => (request.body as { _csrf?: string } | undefined)?._csrf,
  });
  scope.setValidatorCompiler(formValidatorCompiler() as never);

  const assets = await assetRoutes(scope);
  const web = createWeb({ root: o.api, sessions: createSessionStore(o.api, o.secureCookies), assets, publicUrl: o.publicUrl, forbidden: ForbiddenPage });
  const form: WebForm = { protect: (request, reply, done) => scope.csrfProtection(request, reply, done) };

  scope.setErrorHandler(async (err: FastifyError, request, reply) => {
    if (err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET') return web.page(request, reply, ExpiredFormPage, 403);
    if (err.validation) return web.page(request, reply, BadRequestPage(`The form or link has a value the page cannot use (${err.message}).`), 400);
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return web.page(request, reply, BadRequestPage(err.message), err.statusCode);
    o.logger.error({ err, request_id: request.id }, 'web page failed');
    return web.page(request, reply, ServerErrorPage(request.id), 500);
  });

  // Any other address a browser asks for is a page that does not exist, said as a page (API
  // clients, and paths under /api/, keep the envelope).
  scope.unknownPages.render = (request, reply) => web.anonymousPage(request, reply, NotFoundPage, 404);
  publicRoutes(scope, web, form);
  accountRoutes(scope, web, form);
  bookingRoutes(scope, web, form);
  adminRoutes(scope, web, form);
}
