import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { enterContext, currentContext } from '../context.js';
import type { TokenVerifier, VerifiedAccess } from './tokens.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, set by `requireAuth`. */
    auth?: VerifiedAccess;
  }
}

/** Answers whether a verified token was revoked (logout, session revoke, user deactivated…). */
export interface RevocationCheck {
  isRevoked(token: VerifiedAccess): Promise<boolean>;
}

export interface AuthGuards {
  requireAuth(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  requireRole(...roles: string[]): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

// RFC 7235: the scheme name is case-insensitive.
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/**
 * preHandlers for routes: `{ preHandler: guards.requireAuth }` or `guards.requireRole('admin')`.
 * The revocation check is required: a token of a revoked session must fail before its `exp`.
 */
export function createAuthGuards(verifier: TokenVerifier, revocations: RevocationCheck): AuthGuards {
  async function requireAuth(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    if (!header) {
      void reply.header('www-authenticate', 'Bearer');
      throw new AppError('UNAUTHENTICATED', 'missing bearer token');
    }
    const match = BEARER.exec(header);
    if (!match) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      throw new AppError('TOKEN_INVALID', 'access token is not valid');
    }
    // RFC 6750 §3: every refusal of a presented token carries the challenge.
    void reply.header('www-authenticate', 'Bearer error="invalid_token"');
    const auth = await verifier.verify(match[1]!);
    if (await revocations.isRevoked(auth)) throw new AppError('TOKEN_REVOKED', 'access token has been revoked');
    reply.removeHeader('www-authenticate');
    request.auth = auth;
    const ctx = currentContext();
    if (ctx) enterContext({ ...ctx, userId: auth.userId });
    request.log = request.log.child({ user_id: auth.userId });
  }

  return {
    requireAuth,
    requireRole(...roles) {
      return async (request, reply) => {
        if (!request.auth) await requireAuth(request, reply);
        if (!roles.includes(request.auth!.role)) throw new AppError('FORBIDDEN', `requires role ${roles.join(' or ')}`);
      };
    },
  };
}
