import replyFrom from '@fastify/reply-from';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MODULE_ROUTES, type App, type ModuleName } from '../../kernel/index.js';
import type { WebConfig } from './web.settings.js';

/** An idle live stream sends a comment every 15 s; a body silent for a minute is a dead upstream. */
const BODY_TIMEOUT_MS = 60_000;

/**
 * Split mode: the paths of the API modules this process does not run are forwarded to them
 * (WEB_UPSTREAMS), so the pages, which call the API in process, and the browser (the live seat
 * stream, the typed client) see one site. Bodies pass through unparsed; the visitor's address goes
 * on as X-Forwarded-For, so per-address rate limits count visitors, not this process.
 */
export async function forwardRoutes(app: App, local: readonly ModuleName[], upstreams: WebConfig['upstreams']): Promise<void> {
  for (const [module, bases] of Object.entries(upstreams) as [keyof WebConfig['upstreams'], string[]][]) {
    if (local.includes(module)) continue;
    await app.register(async (scope) => {
      await scope.register(replyFrom, { base: bases.length === 1 ? bases[0]! : bases, undici: { bodyTimeout: BODY_TIMEOUT_MS, headersTimeout: 30_000 } });
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      const forward = (request: FastifyRequest, reply: FastifyReply) =>
        reply.from(request.url, { rewriteRequestHeaders: (_req, headers) => ({ ...headers, 'x-forwarded-for': request.ip, 'x-request-id': request.id }) });
      for (const prefix of MODULE_ROUTES[module]) {
        scope.all(prefix, { schema: { hide: true } }, forward);
        if (!prefix.endsWith('.json')) scope.all(`${prefix}/*`, { schema: { hide: true } }, forward);
      }
    });
  }
}
