import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Makes every route of a plugin scope private: `guard` runs on request (a caller it refuses is
 * turned away before the body is even read or validated), and every answer, errors included, carries
 * `Cache-Control: no-store` (it depends on who asks).
 */
export function privateScope(scope: FastifyInstance, guard: (request: FastifyRequest, reply: FastifyReply) => Promise<void>): void {
  scope.addHook('onRequest', guard);
  scope.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('cache-control', 'no-store');
    return payload;
  });
}
