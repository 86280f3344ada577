import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { enterContext } from '../context.js';
import { newId } from '../ids.js';
import { AppError } from '../errors.js';
import { answerOutsideFastify, clientErrorHandler, frameworkErrorHandler, installErrorHandling, refuseUnusableValues, type UnknownPages } from './errors.plugin.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set `render` to answer browsers' unknown addresses with a page (see UnknownPages). */
    unknownPages: UnknownPages;
  }
}
import { installMetrics } from './metrics.js';
import { healthRoutes, type DependencyCheck, type ServiceInfo } from './health.routes.js';
import { apiIndexRoutes } from './api-index.routes.js';
import { ErrorEnvelopeSchema, defaultErrorResponses } from './schemas.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface ServerOptions {
  logger: Logger;
  bodyLimit: number;
  /** A request must arrive whole (headers and body) within this time, or it is refused (0: no limit). */
  requestTimeoutMs: number;
  corsOrigins: readonly string[];
  trustProxy: boolean | number | string[];
  docs: boolean;
  info: ServiceInfo;
  checks: DependencyCheck[];
  readinessTimeoutMs: number;
  /** The metrics; the composition root shares it with the platform's other metrics. */
  registry: Registry;
  /**
   * Where /metrics is: on this server (`api`, the default), on a listener of its own
   * (`own`: see createMetricsServer; this server still counts its requests), or nowhere (`off`).
   */
  metrics?: 'api' | 'own' | 'off';
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The one way to build an HTTP server: TypeBox validation with unknown fields rejected, the error
 * envelope, request ids in every log line, security headers, CORS allow-list, metrics, OpenAPI and
 * the platform endpoints. Modules add their routes as plugins before `ready()`.
 */
export async function createServer(o: ServerOptions): Promise<App> {
  // @fastify/helmet rebuilt helmet's middleware (parsing the CSP again) on every request, a tenth of
  // a bare route's time; the headers never vary, so helmet computes them once here.
  const securityHeaders = staticHelmetHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
        // Helmet's default would have a browser fetch /docs' scripts and styles over https, which a
        // server reached over plain HTTP (a LAN address, a port behind no TLS proxy) does not serve.
        upgradeInsecureRequests: null,
      },
    },
  });

  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    bodyLimit: o.bodyLimit,
    // A client that announces a body and never sends it would hold its connection for good.
    requestTimeout: o.requestTimeoutMs,
    // A hop count is valid at run time (proxy-addr) though Fastify's types omit it.
    trustProxy: o.trustProxy as boolean | string[],
    logController: new LogController({
      requestIdLogLabel: 'request_id',
      // Probes and scrapes every few seconds would drown the request log.
      disableRequestLogging: (request) => request.url.startsWith('/health') || request.url === '/metrics',
    }),
    // An upstream id is kept when it looks like one, so a request can be followed across services.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      // A v4 UUID from node's buffered entropy: request ids need no time order, and a fresh random
      // read per request (as UUIDv7 ids take) cost a few percent of a cached read.
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Fastify's own 503 while closing is a bare body without our headers; the hook below answers instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Refusals made before any hook runs (router, HTTP parser) get the envelope and headers too.
    frameworkErrors: frameworkErrorHandler(securityHeaders),
    clientErrorHandler: clientErrorHandler(securityHeaders),
    http: { requireHostHeader: false },
    schemaController: { compilersFactory: { buildValidator: validatorsByPart } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // First, so every answer has them, whatever a later hook or the handler does.
  app.addHook('onRequest', async (request, reply) => {
    enterContext({ requestId: request.id });
    void reply.headers(securityHeaders).header('x-request-id', request.id);
  });
  // Requests that still arrive while the server closes (on a keep-alive connection that was busy
  // when the shutdown began) are turned away in the envelope, with the connection, so the client
  // retries elsewhere.
  let closing = false;
  app.addHook('preClose', async () => void (closing = true));
  app.addHook('onRequest', async (request) => {
    if (closing) throw new AppError('SERVICE_UNAVAILABLE', 'the server is shutting down', { headers: { 'retry-after': '1', connection: 'close' } });
    // HTTP/1.1 requires Host (RFC 9112 §3.2). Node's own check answered a bare 400, so it is off
    // (requireHostHeader above) and made here, where the answer gets the envelope.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      throw new AppError('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header');
    }
  });
  answerOutsideFastify(app.server, securityHeaders);

  // The API speaks JSON only: other bodies get 415 instead of reaching validation as strings.
  app.removeContentTypeParser('text/plain');
  const unknownPages: UnknownPages = {};
  app.decorate('unknownPages', unknownPages);
  installErrorHandling(app, unknownPages);
  app.addHook('preHandler', refuseUnusableValues);
  app.addSchema(ErrorEnvelopeSchema);
  // Every documented route answers its errors in the envelope: said once here, so each route lists
  // only the statuses it means and the document still has a 4XX for every operation.
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide) return;
    route.schema = { ...route.schema, response: { ...defaultErrorResponses(), ...(route.schema?.response as object | undefined) } };
  });

  const allowed = new Set(o.corsOrigins);
  await app.register(cors, {
    origin: (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    maxAge: 600,
  });

  if (o.docs) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Evently API',
          version: o.info.version,
          description: 'Event management and ticketing.',
          license: { name: 'MIT', identifier: 'MIT' }, // as package.json says (test/docs/openapi.test.ts checks)
        },
        // Relative: the document describes the server that serves it, whatever its address.
        servers: [{ url: '/', description: 'The server that serves this document' }],
        components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      },
      refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false });
  }

  const registry = o.registry;
  const metrics = o.metrics ?? 'api';
  registry.setDefaultLabels({ service: o.info.name });
  if (metrics !== 'off') installMetrics(app, registry);
  await app.register(healthRoutes({ checks: o.checks, info: o.info, registry: metrics === 'api' ? registry : undefined, timeoutMs: o.readinessTimeoutMs }));
  await app.register(apiIndexRoutes({ info: o.info, docs: o.docs, metrics: metrics === 'api' }));
  return app;
}

/**
 * The /metrics listener of its own (METRICS_PORT): only GET /metrics, so the API's port need not
 * expose it. Unknown paths get the 404 envelope; nothing here is logged per request.
 */
export async function createMetricsServer(o: { logger: Logger; registry: Registry }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => newId(),
    forceCloseConnections: true,
  });
  installErrorHandling(app);
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', o.registry.contentType);
    return o.registry.metrics();
  });
  return app;
}

const ajvCompilers = AjvCompiler();
/** Fastify's own ajv options, except that unknown fields are refused (Fastify's default strips them). */
const AJV_OPTIONS = { removeAdditional: false, useDefaults: true, allErrors: true } as const;

/**
 * `uuid` as PostgreSQL reads it: ajv-formats also accepts a `urn:uuid:` prefix, which passed
 * validation and then failed in the database as a 500.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const strictFormats = (ajv: { addFormat(name: string, format: RegExp): unknown }) => void ajv.addFormat('uuid', UUID);

/**
 * Fastify's validator (@fastify/ajv-compiler: the same ajv options, formats and shared schemas),
 * twice: a JSON body is taken as typed, so a number is not a username and an array is not a
 * password; the query string, path parameters and headers are text, so they are coerced to the
 * schema's types (`?limit=5`; `array`: a single `?tag=x` is a list of one).
 */
const validatorsByPart: ValidatorFactory = (externalSchemas) => {
  const typed = ajvCompilers(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes: false }, onCreate: strictFormats });
  const coerced = ajvCompilers(externalSchemas, { customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' }, onCreate: strictFormats });
  return (route) => (route.httpPart === 'body' ? typed : coerced)(route);
};

/**
 * The validator for HTML forms, whose fields all arrive as text: every part coerced to the schema's
 * types (a `quantity` of "2" is 2), with the API's other rules (unknown fields refused, strict uuids).
 * Set on the web app's scope only; the API keeps typed JSON bodies.
 */
export function formValidatorCompiler() {
  return ajvCompilers({}, { customOptions: { ...AJV_OPTIONS, coerceTypes: 'array' }, onCreate: strictFormats });
}

/** The headers helmet sets, captured once from its middleware (they depend on the options only). */
function staticHelmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string | number | string[]) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  let failed: unknown;
  helmet(options)({} as never, res as never, (err?: unknown) => void (failed = err));
  if (failed) throw failed;
  return headers;
}
