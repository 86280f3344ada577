import type { FastifyRequest } from 'fastify';

/** Who asks for a change, and from where: every audit row records it. */
export interface Actor {
  id: string;
  role: 'user' | 'admin';
  request: { id: string; ip: string; userAgent?: string };
}

/** The caller of an authenticated route. */
export function actorOf(request: FastifyRequest): Actor {
  const auth = request.auth!;
  return {
    id: auth.userId,
    role: auth.role === 'admin' ? 'admin' : 'user',
    request: { id: request.id, ip: request.ip, userAgent: request.headers['user-agent'] },
  };
}
