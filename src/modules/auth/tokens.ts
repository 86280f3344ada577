import { createHash, randomBytes } from 'node:crypto';
import { signAccessToken } from '../../kernel/index.js';
import type { AuthDeps } from './auth.deps.js';
import type { Role } from './users.repository.js';

/** Opaque: 256 random bits, recognisable by its prefix; only its SHA-256 is stored. */
const REFRESH = /^rt_[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = `rt_${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function looksLikeRefreshToken(token: string): boolean {
  return REFRESH.test(token);
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  session_id: string;
}

export async function tokenPair(deps: AuthDeps, user: { id: string; role: Role }, sessionId: string, refreshToken: string): Promise<TokenPair> {
  const { token, expiresIn } = await signAccessToken(deps.keys.current, { userId: user.id, sessionId, role: user.role }, {
    issuer: deps.config.issuer,
    audience: deps.config.audience,
    ttlSeconds: deps.config.accessTtlSeconds,
  });
  return { access_token: token, refresh_token: refreshToken, token_type: 'Bearer', expires_in: expiresIn, session_id: sessionId };
}
