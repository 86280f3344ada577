import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export type SigningAlg = 'EdDSA' | 'ES256';

/** A key that signs access tokens; `kid` is its RFC 7638 thumbprint, so it is stable and derived. */
export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** A PKCS#8 PEM private key (Ed25519 or EC P-256) as a signing key. */
export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(pem);
  const alg = algOf(privateKey);
  return { alg, privateKey, ...(await publicPart(createPublicKey(privateKey), alg)) };
}

/** A public (SPKI) or private PEM key, kept only to verify tokens signed before a rotation. */
export async function verificationJwkFromPem(pem: string): Promise<JWK> {
  const key = pem.includes('PRIVATE KEY') ? createPublicKey(createPrivateKey(pem)) : createPublicKey(pem);
  return (await publicPart(key, algOf(key))).publicJwk;
}

export async function generateSigningKey(alg: SigningAlg = 'EdDSA'): Promise<{ key: SigningKey; pem: string }> {
  const { privateKey } = alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { key: await signingKeyFromPem(pem), pem };
}

function algOf(key: KeyObject): SigningAlg {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`unsupported signing key (${key.asymmetricKeyType ?? 'symmetric'}): use Ed25519 or EC P-256`);
}

async function publicPart(publicKey: KeyObject, alg: SigningAlg): Promise<{ kid: string; publicJwk: JWK }> {
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}
