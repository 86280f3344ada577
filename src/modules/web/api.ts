import type { FastifyRequest } from 'fastify';
import { createEventlyClient, type EventlyClient } from '../../client/index.js';
import type { App } from '../../kernel/index.js';

const UNANSWERED = { error: { code: 'SERVICE_UNAVAILABLE', message: 'the service did not answer; try again shortly', request_id: '' } };

/** Any origin: requests never leave the process; only the path and query reach the app. */
const IN_PROCESS = 'http://evently.internal';

/**
 * The API as the web app's server code sees it: the typed client over `app.inject`, so each call
 * goes through the real routes (validation, guards, rate limits) without a socket. The browser's
 * address and request id travel with it: per-IP rate limits count the visitor, not the web app,
 * and the API's log lines carry the page's request id.
 */
export function apiFor(app: App, request: FastifyRequest, token?: string): EventlyClient {
  return createEventlyClient({
    baseUrl: IN_PROCESS,
    token,
    fetch: async (req: Request) => {
      const url = new URL(req.url);
      const headers: Record<string, string> = { 'x-request-id': request.id };
      req.headers.forEach((value, name) => (headers[name] = value));
      const payload = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
      const res = await app.inject({ method: req.method as 'GET', url: url.pathname + url.search, headers, payload, remoteAddress: request.ip })
        .catch(() => undefined);
      // No answer at all (a forwarded module unreachable mid-request): what a client would read as 503.
      if (!res) return Response.json(UNANSWERED, { status: 503 });
      const out = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(', ') : String(value));
      }
      const empty = res.statusCode === 204 || res.statusCode === 304 || req.method === 'HEAD';
      return new Response(empty ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: out });
    },
  });
}

/**
 * The code and message of an API error body, for a page to show: as a sentence, without the API
 * routes a message may name for API clients ("(POST /api/v1/auth/resend-otp)").
 */
export function problemOf(error: unknown): { code: string; message: string } {
  const e = (error as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const text = typeof e?.message === 'string' ? e.message.replace(/ ?\((GET|POST|PUT|PATCH|DELETE) \/[^)]*\)/g, '') : 'Something went wrong.';
  return { code: typeof e?.code === 'string' ? e.code : 'UNKNOWN', message: text.charAt(0).toUpperCase() + text.slice(1) };
}

/** The API's message with the fields it names (those it does not already say), so a form says what to change. */
export function detailedProblem(error: unknown): string {
  const { message } = problemOf(error);
  const details = (error as { error?: { details?: { field?: string; message: string }[] } } | undefined)?.error?.details ?? [];
  const more = details.map((d) => (d.field ? `${d.field.replace(/^\//, '')} ${d.message}` : d.message)).filter((d) => !message.includes(d));
  return more.length ? `${message}: ${more.join('; ')}` : message;
}
