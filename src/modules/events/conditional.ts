import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Rendered } from './catalogue.cache.js';

/**
 * RFC 9110 §13.1.2: If-None-Match lists entity tags (or `*`); weak comparison, so `W/"x"` matches
 * `"x"`. A match means the client's copy is current.
 */
export function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Sends a rendered answer as it is (no second serialisation), with its ETag and caching policy; 304
 * without a body when the client has it. The answer depends on the caller's token (admins see more),
 * hence `Vary: Authorization`.
 */
export function sendRendered(request: FastifyRequest, reply: FastifyReply, r: Rendered, cacheControl: string): FastifyReply {
  void reply.header('etag', r.etag).header('cache-control', cacheControl).header('vary', 'Authorization');
  if (matches(request.headers['if-none-match'], r.etag)) return reply.status(304).send();
  return reply.type('application/json; charset=utf-8').send(r.body);
}
