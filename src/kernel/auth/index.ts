export { generateSigningKey, signingKeyFromPem, verificationJwkFromPem, type SigningKey, type SigningAlg } from './keys.js';
export { signAccessToken, createTokenVerifier, localKeySet, ACCESS_TOKEN_TYP, type AccessClaims, type VerifiedAccess, type TokenVerifier, type TokenSettings } from './tokens.js';
export { createAuthGuards, type AuthGuards, type RevocationCheck } from './guards.js';
export { createMemoryRevocations, createRedisRevocations, type RevocationStore } from './revocations.js';
export { createKeyDirectory, type KeyDirectory } from './key-directory.js';
export { createAccess, subscribeRevocations, SESSION_REVOKED, type Access } from './access.js';
