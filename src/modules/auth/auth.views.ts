import type { FastifyRequest } from 'fastify';
import type { ClientMeta } from './auth.deps.js';
import type { Session, User } from './auth.schemas.js';
import type { SessionRow } from './sessions.repository.js';
import type { UserRow } from './users.repository.js';

/** The public view of a user: never the password hash. */
export function userView(u: UserRow): User {
  return {
    id: u.id,
    email: u.email,
    username: u.username,
    full_name: u.full_name,
    role: u.role,
    is_verified: u.is_verified,
    is_active: u.is_active,
    created_at: u.created_at.toISOString(),
    updated_at: u.updated_at.toISOString(),
  };
}

/** Session listings never contain token material (SPEC §3). */
export function sessionView(s: SessionRow, currentId?: string): Session {
  return {
    id: s.id,
    created_at: s.created_at.toISOString(),
    last_used_at: s.last_used_at.toISOString(),
    expires_at: s.expires_at.toISOString(),
    user_agent: s.user_agent,
    ip: s.ip,
    current: s.id === currentId,
  };
}

/** The client as Fastify sees it: `request.ip` honours TRUST_PROXY for X-Forwarded-For. */
export function clientMeta(request: FastifyRequest): ClientMeta {
  return { ip: request.ip, userAgent: request.headers['user-agent'] ?? null };
}
