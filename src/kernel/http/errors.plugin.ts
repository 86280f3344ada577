import type { Socket } from 'node:net';
import { STATUS_CODES as HTTP_STATUS_TEXT, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, envelope, ERROR_STATUS, type ErrorCode, type ErrorDetail } from '../errors.js';
import { newId } from '../ids.js';
import { unavailability, unavailableError } from '../unavailable.js';

/**
 * Every failure leaves in the SPEC §8 envelope with the security headers and the request id,
 * whichever layer refused the request: a route or its schema (the error handler), the router
 * (`frameworkErrors`: a malformed URL, an over-long path parameter) or Node's HTTP parser
 * (`clientErrorHandler`: oversized headers, a broken request line), the last two running before
 * any hook could add those headers.
 */
/**
 * What a browser gets for an address nothing serves, when a module renders pages (the web app sets
 * `render`): a page instead of the JSON envelope, for GET/HEAD asking for HTML outside /api/.
 * A catch-all route would do it too, but it would also catch what the router refuses for itself
 * (an over-long path parameter falls back to a wildcard), so the not-found handler decides.
 */
export interface UnknownPages {
  render?: (request: FastifyRequest, reply: FastifyReply) => unknown;
}

export function installErrorHandling(app: FastifyInstance, pages: UnknownPages = {}): void {
  app.setErrorHandler((error: FastifyError | AppError, request, reply) => sendError(error, request, reply));

  app.setNotFoundHandler((request, reply) => {
    const browser = (request.method === 'GET' || request.method === 'HEAD') && String(request.headers.accept ?? '').includes('text/html');
    if (pages.render && browser && !request.url.startsWith('/api/')) return pages.render(request, reply);
    // The path is echoed for the reader, but never more than a line of it.
    const path = request.url.split('?')[0]!;
    const err = new AppError('NOT_FOUND', `no route for ${request.method} ${path.length > 120 ? `${path.slice(0, 120)}…` : path}`);
    return reply.status(404).send(envelope(err, request.id));
  });
}

/** Fastify's `frameworkErrors` option: the router refused the URL before any hook ran. */
export function frameworkErrorHandler(headers: Readonly<Record<string, string>>) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    void reply.headers({ ...headers, 'x-request-id': request.id });
    return sendError(error, request, reply);
  };
}

/**
 * Fastify's `clientErrorHandler` option: Node's parser refused the bytes, so there is no request
 * and no reply, only the socket. The answer is written by hand, and the connection closes since
 * the rest of what the client sent cannot be parsed.
 */
export function clientErrorHandler(headers: Readonly<Record<string, string>>) {
  return function (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const requestId = newId();
    this.log.debug({ request_id: requestId, code: err.code, err: err.message }, 'refused unparsable request');
    // Node's own rule: answer unless a response on this connection has started (writing into it
    // would corrupt it for the client). `_httpMessage` is the response in flight, as Node reads it.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
    if (inFlight?.headersSent) socket.destroy();
    else answerOnSocket(socket, clientError(err), requestId, headers);
  };
}

/**
 * Requests Node answers by itself unless the server listens for them, with no body and none of our
 * headers: CONNECT (the connection was dropped) and an `Expect` other than 100-continue (a bare 417).
 */
export function answerOutsideFastify(server: Server, headers: Readonly<Record<string, string>>): void {
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    answerOnSocket(socket, new AppError('NOT_FOUND', 'no route for CONNECT'), newId(), headers);
  });
  // RFC 9110 §10.1.1 lets a server ignore an expectation it does not know: the request goes on.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => server.emit('request', req, res));
}

/** Writes the envelope straight onto a socket Fastify never saw, then closes it. */
function answerOnSocket(socket: Socket, appError: AppError, requestId: string, headers: Readonly<Record<string, string>>): void {
  if (socket.writable) {
    const body = JSON.stringify(envelope(appError, requestId));
    const head = [
      `HTTP/1.1 ${appError.status} ${HTTP_STATUS_TEXT[appError.status] ?? ''}`,
      ...Object.entries({ ...headers, 'x-request-id': requestId }).map(([k, v]) => `${k}: ${v}`),
      'content-type: application/json; charset=utf-8',
      `content-length: ${Buffer.byteLength(body)}`,
      'connection: close',
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroySoon();
}

function clientError(err: NodeJS.ErrnoException): AppError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('BAD_REQUEST', 'request headers are too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('BAD_REQUEST', 'the request did not arrive in time');
    default:
      return new AppError('BAD_REQUEST', 'the request is not valid HTTP');
  }
}

function sendError(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error);
  if (appError.status === 503) {
    // Overload or a dependency away: expected under load, and says what to look at (never a 500).
    request.log.warn({ code: appError.code, cause: causeOf(error) }, appError.message);
    if (!appError.headers?.['retry-after']) void reply.header('retry-after', '1');
  } else if (appError.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  } else {
    request.log.info({ code: appError.code, status: appError.status }, appError.message);
  }
  if (appError.headers) void reply.headers(appError.headers);
  return reply.status(appError.status).send(envelope(appError, request.id));
}

const STATUS_CODES = new Map<number, ErrorCode>(
  (Object.entries(ERROR_STATUS) as [ErrorCode, number][]).reverse().map(([code, status]) => [status, code]),
);

/**
 * The one place a thrown value becomes an AppError. Known framework and driver errors get a case of
 * their own (messages never echo the request: a 5,000-character URL stays out of the answer);
 * anything unknown is INTERNAL.
 */
function toAppError(error: FastifyError | AppError): AppError {
  if (error instanceof AppError) return error;
  const fe = error as FastifyError;
  if (fe.validation) {
    return new AppError('VALIDATION_FAILED', 'request is invalid', { details: validationDetails(fe) });
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type; send application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('BAD_REQUEST', 'request body is not valid JSON');
    case 'FST_ERR_BAD_URL':
      return new AppError('BAD_REQUEST', 'the URL is malformed (invalid percent-encoding)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      // Fastify says 414, but no resource has an id this long: it is a bad id, like any other.
      return new AppError('BAD_REQUEST', 'a path parameter is too long');
  }
  // A value PostgreSQL cannot store as text (a NUL byte, an invalid encoding) is the client's input,
  // not our failure. Schemas refuse these where they can; this is the net for any that get through.
  if (PG_BAD_TEXT.has((error as { code?: string }).code ?? '')) {
    return new AppError('BAD_REQUEST', 'request contains characters that cannot be stored (e.g. a NUL byte)');
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code = STATUS_CODES.get(status) ?? 'BAD_REQUEST';
    return new AppError(code, fe.message || 'bad request');
  }
  // A full pool, a lock or statement limit, a database or Redis that cannot be reached: 503, not 500.
  const unavailable = unavailability(error);
  if (unavailable) return unavailableError(unavailable, error);
  return new AppError('INTERNAL', 'internal error', { cause: error });
}

/** What made a request answer 503, for the log: the classification, else the error's own message. */
function causeOf(error: unknown): string {
  const u = unavailability(error);
  if (u) return `${u.dependency}: ${u.reason}`;
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
}

/** character_not_in_repertoire, untranslatable_character. */
const PG_BAD_TEXT = new Set(['22021', '22P05']);

function validationDetails(fe: FastifyError): ErrorDetail[] {
  const where = fe.validationContext ?? 'body';
  return (fe.validation ?? []).map((v) => {
    const params = v.params as Record<string, unknown>;
    const prop = (params.additionalProperty ?? params.missingProperty) as string | undefined;
    const pathPart = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const field = [where, pathPart, prop].filter(Boolean).join('.');
    const message = params.additionalProperty ? 'unknown field' : (v.message ?? 'invalid');
    return { field, message };
  });
}

/**
 * Values a schema lets through that nothing downstream can use, refused as invalid input:
 * - a non-finite number: ajv coerces a query string such as `?limit=1e309` to Infinity (and
 *   JSON.parse makes a body's 1e309 one) and then skips minimum/maximum for it
 *   (ajv-validator/ajv#2212; fixes proposed upstream, unreleased), so it reached PostgreSQL as
 *   "Infinity" (a 500);
 * - a string that is not well-formed Unicode: a lone surrogate is a legal JSON escape ("\ud800")
 *   but has no UTF-8 form, so PostgreSQL's jsonb refused it (a 500 when it reached an event) and
 *   text columns silently stored U+FFFD instead.
 * Checked for the parts of the request a schema validated (the handler reads only those), in the
 * preHandler stage: after validation and coercion, before any route guard or handler.
 */
export async function refuseUnusableValues(request: FastifyRequest): Promise<void> {
  const schema = request.routeOptions.schema;
  if (!schema) return;
  const parts: [string, unknown][] = [];
  if (schema.querystring) parts.push(['querystring', request.query]);
  if (schema.params) parts.push(['params', request.params]);
  if (schema.body) parts.push(['body', request.body]);
  if (schema.headers) parts.push(['headers', request.headers]);
  for (const [where, value] of parts) {
    const found = findUnusable(value);
    if (found) {
      throw new AppError('VALIDATION_FAILED', 'request is invalid', {
        details: [{ field: [where, found.path].filter(Boolean).join('.'), message: found.message }],
      });
    }
  }
}

/** In u-mode a surrogate class matches only unpaired surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The first unusable value in a JSON value and its dotted path; iterative, so nesting depth is no risk. */
function findUnusable(root: unknown): { path: string; message: string } | undefined {
  const stack: [unknown, string][] = [[root, '']];
  while (stack.length) {
    const [value, path] = stack.pop()!;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return { path, message: 'must be a finite number' };
    } else if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return { path, message: 'must be well-formed Unicode (no lone surrogates)' };
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        const at = path ? `${path}.${k}` : k;
        if (LONE_SURROGATE.test(k)) return { path: at, message: 'must be well-formed Unicode (no lone surrogates)' };
        stack.push([v, at]);
      }
    }
  }
  return undefined;
}
