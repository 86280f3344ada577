/**
 * `npm run client:generate`: writes the typed API client's types (src/client/openapi.ts) from the
 * OpenAPI document the real app serves, every module on and the dev mailbox documented. Uses
 * DATABASE_URL's server (a scratch database, dropped after) or an embedded PostgreSQL.
 * `--check` writes nothing and exits 1 when the committed file differs (the test suite runs it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clientTypesSource, documentedApp, openApiDocument } from '../test/support/openapi.js';
import { createLogger, startEmbeddedPostgres } from '../src/kernel/index.js';

const target = path.resolve(import.meta.dirname, '../src/client/openapi.ts');
const check = process.argv.includes('--check');

let adminUrl = process.env.DATABASE_URL;
let stopEmbedded: (() => Promise<void>) | undefined;
let scratch: string | undefined;
if (!adminUrl) {
  scratch = mkdtempSync(path.join(tmpdir(), 'evently-client-'));
  const pg = await startEmbeddedPostgres({ dataDir: scratch, logger: createLogger({ level: 'warn', service: 'client' }), database: 'postgres' });
  adminUrl = pg.url;
  stopEmbedded = () => pg.stop();
}
try {
  const app = await documentedApp(adminUrl);
  const source = await clientTypesSource(await openApiDocument(app.evently.app)).finally(() => app.close());
  if (check) {
    const current = readFileSync(target, 'utf8');
    if (current !== source) {
      console.error('src/client/openapi.ts is not the current API: run `npm run client:generate`');
      process.exitCode = 1;
    }
  } else {
    writeFileSync(target, source);
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
} finally {
  await stopEmbedded?.();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
