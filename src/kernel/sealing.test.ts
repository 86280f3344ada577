import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, loadConfig } from './index.js';
import { createSealer, loadSealer, newSealingKey } from './sealing.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const keyBytes = (k: string) => Buffer.from(k, 'base64url');

describe('sealing secrets that travel in events', () => {
  it('opens what it sealed; the ciphertext does not contain the secret and differs every time', async () => {
    const sealer = createSealer(keyBytes(newSealingKey()));
    const a = await sealer.seal('042917');
    const b = await sealer.seal('042917');
    assert.notEqual(a, b);
    assert.ok(!a.includes('042917'));
    assert.equal(await sealer.open(a), '042917');
  });

  it('refuses a tampered value and a value sealed with another key', async () => {
    const sealer = createSealer(keyBytes(newSealingKey()));
    const sealed = await sealer.seal('123456');
    const parts = sealed.split('.');
    parts[3] = `${parts[3]!.slice(0, -2)}${parts[3]!.endsWith('AA') ? 'BB' : 'AA'}`;
    await assert.rejects(sealer.open(parts.join('.')));
    await assert.rejects(createSealer(keyBytes(newSealingKey())).open(sealed));
  });

  it('takes EVENT_SEALING_KEY in base64 or base64url, and refuses a key of the wrong size', async () => {
    const raw = newSealingKey();
    const std = Buffer.from(raw, 'base64url').toString('base64');
    const viaStd = await loadSealer(loadConfig({ env: { EVENT_SEALING_KEY: std }, envFile: false }), logger);
    const viaUrl = await loadSealer(loadConfig({ env: { EVENT_SEALING_KEY: raw }, envFile: false }), logger);
    assert.equal(await viaUrl.open(await viaStd.seal('x')), 'x');
    assert.throws(() => loadConfig({ env: { EVENT_SEALING_KEY: 'c2hvcnQ=' }, envFile: false }), /EVENT_SEALING_KEY must match/);
  });

  it('production never generates a key: without EVENT_SEALING_KEY there is nothing to seal or open with', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evently-seal-prod-'));
    try {
      // A process without auth or notifications passes config without the key (main never loads a
      // sealer for it); were one asked for anyway, it must refuse rather than write a key.
      const config = loadConfig({
        env: { NODE_ENV: 'production', EVENTLY_MODULES: 'events', EVENTLY_DATA_DIR: dir, DATABASE_URL: 'postgres://app:Str0ng-pass@db/evently', REDIS_URL: 'redis://cache:6379' },
        envFile: false,
      });
      await assert.rejects(loadSealer(config, logger), /EVENT_SEALING_KEY is required in production/);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a key, development generates one in the data folder once; every process started there shares it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'evently-seal-'));
    try {
      const config = loadConfig({ env: { EVENTLY_DATA_DIR: dir }, envFile: false });
      // Several starts at the same moment agree on one key.
      const sealers = await Promise.all(Array.from({ length: 8 }, () => loadSealer(config, logger)));
      const sealed = await sealers[0]!.seal('987654');
      for (const s of sealers) assert.equal(await s.open(sealed), '987654');
      const file = path.join(dir, 'event-sealing.key');
      assert.equal(keyBytes(readFileSync(file, 'utf8').trim()).length, 32);
      assert.equal(statSync(file).mode & 0o077, 0, 'readable by its owner only');
      assert.equal(await (await loadSealer(config, logger)).open(sealed), '987654');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
