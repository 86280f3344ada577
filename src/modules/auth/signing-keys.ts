import { sql } from 'kysely';
import type { JWK } from 'jose';
import {
  ConfigError,
  generateSigningKey,
  signingKeyFromPem,
  verificationJwkFromPem,
  type Db,
  type Logger,
  type SigningKey,
} from '../../kernel/index.js';
import type { AuthConfig } from './auth.settings.js';

export interface SigningKeys {
  current: SigningKey;
  /** Published at /.well-known/jwks.json: the current key, and the previous one during a rotation. */
  jwks: JWK[];
}

/**
 * The configured key (AUTH_SIGNING_KEY), else, outside production (config enforces it), a key
 * generated once and kept in the database so every replica and every restart signs with the same.
 */
export async function loadSigningKeys(config: AuthConfig, db: Db, logger: Logger): Promise<SigningKeys> {
  let current: SigningKey;
  if (config.signingKeyPem) {
    current = await parse('AUTH_SIGNING_KEY', () => signingKeyFromPem(config.signingKeyPem!));
  } else {
    const { pem } = await generateSigningKey('EdDSA');
    await sql`insert into auth.dev_signing_key (id, private_pem) values (1, ${pem}) on conflict (id) do nothing`.execute(db);
    const { rows } = await sql<{ private_pem: string }>`select private_pem from auth.dev_signing_key where id = 1`.execute(db);
    current = await signingKeyFromPem(rows[0]!.private_pem);
    logger.warn({ kid: current.kid }, 'AUTH_SIGNING_KEY is not set: signing with a development key kept in the database (never do this in production)');
  }
  const jwks = [current.publicJwk];
  if (config.previousKeyPem) {
    const previous = await parse('AUTH_PREVIOUS_SIGNING_KEY', () => verificationJwkFromPem(config.previousKeyPem!));
    if (previous.kid !== current.kid) jwks.push(previous);
  }
  return { current, jwks };
}

/** A bad key stops the start with the setting's name, never with the key's content. */
async function parse<T>(setting: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  - ${setting} is not a usable key: ${(err as Error).message.split('\n')[0]!.replace(/-----BEGIN[\s\S]*/, '')}`);
  }
}
