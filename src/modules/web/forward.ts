import replyFrom from '@fastify/reply-from';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, MODULE_ROUTES, type App, type ModuleName } from '../../kernel/index.js';
import type { WebConfig } from './web.settings.js';

/** An idle live stream sends a comment every 15 s; a body silent for a minute is a dead upstream. */
const BODY_TIMEOUT_MS = 60_000;

/**
 * What a module must not receive from the browser: the web app's own cookies (30-day refresh
 * tokens have no business in every module's process) and forwarding headers only this process may
 * set (the modules would take a forged host or scheme for ours).
 */
const DROPPED = ['cookie', 'forwarded', 'x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-real-ip', 'proxy-authorization'];

/**
 * Split mode: the paths of the API modules this process does not run are forwarded to them
 * (WEB_UPSTREAMS), so the pages, which call the API in process, and the browser (the live seat
 * stream, the typed client) see one site. Bodies pass through unparsed; the visitor's address goes
 * on as X-Forwarded-For (replacing what the browser sent), so per-address rate limits count
 * visitors, not this process.
 */
export async function forwardRoutes(app: App, local: readonly ModuleName[], upstreams: WebConfig['upstreams']): Promise<void> {
  for (const [module, bases] of Object.entries(upstreams) as [keyof WebConfig['upstreams'], string[]][]) {
    if (local.includes(module)) continue;
    await app.register(async (scope) => {
      await scope.register(replyFrom, { base: bases.length === 1 ? bases[0]! : bases, undici: { bodyTimeout: BODY_TIMEOUT_MS, headersTimeout: 30_000 } });
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
      const unavailable = new AppError('SERVICE_UNAVAILABLE', `the ${module} service did not answer; try again shortly`, { headers: { 'retry-after': '2' } });
      const forward = (request: FastifyRequest, reply: FastifyReply) => {
        try {
          // No source: reply-from takes the path and passes the query string on as it came
          // (given the whole URL, it decoded the query too and refused a search for "100%").
          return reply.from(undefined, {
            rewriteRequestHeaders: (_req, headers) => {
              const out: Record<string, string | string[] | undefined> = { ...headers, 'x-forwarded-for': request.ip, 'x-request-id': request.id };
              for (const name of DROPPED) delete out[name];
              return out;
            },
            onError: (r) => void r.send(unavailable),
          });
        } catch {
          // A path reply-from will not forward: dot segments, an absolute-form request target.
          throw new AppError('BAD_REQUEST', 'this address cannot be forwarded');
        }
      };
      for (const prefix of MODULE_ROUTES[module]) {
        scope.all(prefix, { schema: { hide: true } }, forward);
        if (!prefix.endsWith('.json')) scope.all(`${prefix}/*`, { schema: { hide: true } }, forward);
      }
    });
  }
}
