import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors, type JWTVerifyGetKey, type JWK, createLocalJWKSet } from 'jose';
import { AppError } from '../errors.js';
import { TtlLru } from '../cache/lru.js';
import type { SigningKey } from './keys.js';

/** RFC 9068 media type of access tokens: a JWT of any other type (or none) is never accepted. */
export const ACCESS_TOKEN_TYP = 'at+jwt';
const CLOCK_TOLERANCE_S = 5;
/** Distinct live tokens remembered per process (about 300 bytes each). */
const VERIFIED_CACHE_ENTRIES = 10_000;

export interface AccessClaims {
  userId: string;
  sessionId: string;
  role: string;
}

export interface VerifiedAccess extends AccessClaims {
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export async function signAccessToken(key: SigningKey, claims: AccessClaims, s: TokenSettings): Promise<{ token: string; expiresIn: number }> {
  const token = await new SignJWT({ sid: claims.sessionId, role: claims.role, token_type: 'access' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: ACCESS_TOKEN_TYP })
    .setSubject(claims.userId)
    .setIssuer(s.issuer)
    .setAudience(s.audience)
    .setIssuedAt()
    .setExpirationTime(`${s.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(key.privateKey);
  return { token, expiresIn: s.ttlSeconds };
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedAccess>;
}

/**
 * Verifies access tokens against a key set (local JWKS in the auth process, the published JWKS
 * elsewhere). Only asymmetric algorithms are accepted, so `alg: none` and HMAC tricks fail.
 */
export function createTokenVerifier(keys: JWTVerifyGetKey, s: TokenSettings): TokenVerifier {
  // A client sends the same token for its whole life: a token whose signature and claims were
  // checked once is remembered (keyed by all its bytes, signature included) until the end of its
  // life, when the entry expires and the next use is checked in full again (and refused).
  const verified = new TtlLru<VerifiedAccess>(VERIFIED_CACHE_ENTRIES);
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return known;
      const fresh = await verifyOnce(token);
      verified.set(token, fresh, Math.max(1, usableUntil(fresh) * 1000 - Date.now()));
      return fresh;
    },
  };

  /** The end of a token's life exactly as jwtVerify reckons it: `exp`, or `iat` + maxTokenAge, plus the tolerance. */
  function usableUntil(t: VerifiedAccess): number {
    return Math.min(t.expiresAt, t.issuedAt + s.ttlSeconds + CLOCK_TOLERANCE_S) + CLOCK_TOLERANCE_S;
  }

  async function verifyOnce(token: string): Promise<VerifiedAccess> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: s.issuer,
        audience: s.audience,
        algorithms: ['EdDSA', 'ES256'],
        typ: ACCESS_TOKEN_TYP,
        requiredClaims: ['sub', 'sid', 'role', 'jti', 'iat', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
        // Bounds a token's age by the configured lifetime whatever its `exp` says, and rejects
        // `iat` in the future, so "revoke everything issued before T" cannot be outlived.
        maxTokenAge: s.ttlSeconds + CLOCK_TOLERANCE_S,
      }));
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED', 'access token has expired');
      throw new AppError('TOKEN_INVALID', 'access token is not valid');
    }
    if (payload.token_type !== 'access' || typeof payload.sid !== 'string' || typeof payload.role !== 'string') {
      throw new AppError('TOKEN_INVALID', 'access token is not valid');
    }
    return {
      userId: payload.sub as string,
      sessionId: payload.sid,
      role: payload.role,
      tokenId: payload.jti as string,
      issuedAt: payload.iat as number,
      expiresAt: payload.exp as number,
    };
  }
}

/** A key resolver over a fixed set of public keys (current and previous). */
export function localKeySet(jwks: JWK[]): JWTVerifyGetKey {
  return createLocalJWKSet({ keys: jwks });
}
