import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { CompactEncrypt, compactDecrypt } from 'jose';
import { ConfigError, type Config } from './config/index.js';
import type { Logger } from './logger.js';

/**
 * Encrypts a secret that has to travel inside an event (a one-time code on its way from auth to
 * the mailer), so the outbox table, the Redis streams and the mail log hold only ciphertext.
 * JWE compact, `dir` + A256GCM: authenticated, so a tampered value fails to open.
 */
export interface Sealer {
  seal(plaintext: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

export function createSealer(key: Uint8Array): Sealer {
  if (key.length !== 32) throw new Error('a sealing key has 32 bytes');
  return {
    seal: (plaintext) => new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key),
    async open(sealed) {
      const { plaintext } = await compactDecrypt(sealed, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
      return new TextDecoder().decode(plaintext);
    },
  };
}

/** For processes that run neither auth nor notifications: nothing there seals or opens codes. */
export const NO_SEALER: Sealer = {
  seal: () => Promise.reject(new Error('this process runs neither auth nor notifications: no sealing key')),
  open: () => Promise.reject(new Error('this process runs neither auth nor notifications: no sealing key')),
};

export function newSealingKey(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * EVENT_SEALING_KEY, or outside production (config enforces it) a key generated once in the data
 * folder, shared by every process started from it (all-in-one, `npm run cluster`).
 */
export async function loadSealer(config: Config, logger: Logger): Promise<Sealer> {
  const configured = config.settings.EVENT_SEALING_KEY;
  if (configured) return createSealer(decodeKey(configured));
  if (config.env === 'production') {
    throw new ConfigError('Invalid configuration:\n  - EVENT_SEALING_KEY is required in production where one-time codes are sealed or opened');
  }
  const file = path.join(config.database.dataDir, 'event-sealing.key');
  let raw: string;
  try {
    raw = (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(config.database.dataDir, { recursive: true });
    // Written aside, then linked into place: a process starting at the same moment either wins or
    // reads the winner's complete key, never half of one.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    try {
      const handle = await open(tmp, 'wx', 0o600);
      try {
        await handle.writeFile(`${newSealingKey()}\n`);
        await handle.sync(); // a crash must not leave an empty key file linked into place
      } finally {
        await handle.close();
      }
      await link(tmp, file).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    raw = (await readFile(file, 'utf8')).trim();
    logger.warn({ file }, 'EVENT_SEALING_KEY is not set: using a development key kept in the data folder (set it in production)');
  }
  return createSealer(decodeKey(raw));
}

function decodeKey(raw: string): Uint8Array {
  const key = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== 32) throw new ConfigError('Invalid configuration:\n  - EVENT_SEALING_KEY must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)');
  return key;
}

