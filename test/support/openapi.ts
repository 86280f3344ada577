import openapiTS, { astToString } from 'openapi-typescript';
import type { App } from '../../src/kernel/index.js';
import { startTestEvently, type TestEvently } from './evently.js';
import { createTestDatabase } from './db.js';

/** The OpenAPI document an app serves (/docs/json), as a client generator reads it. */
export async function openApiDocument(app: App): Promise<Record<string, unknown>> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
  return res.json();
}

/** The real app with every module and the dev mailbox on (so documented), on a fresh database of `adminUrl`'s server. */
export async function documentedApp(adminUrl: string): Promise<TestEvently & { close(): Promise<void> }> {
  const database = await createTestDatabase(adminUrl);
  const t = await startTestEvently({ database, env: { EVENTLY_DEV_MAILBOX: 'true' } });
  return { ...t, close: async () => { await t.close(); await database.drop(); } };
}

const HEADER = `/**
 * The Evently API's types, generated from its OpenAPI document by openapi-typescript
 * (\`npm run client:generate\`; a test fails when this file is not the current API). Do not edit.
 */

`;

/** The source of src/client/openapi.ts for a document. */
export async function clientTypesSource(document: Record<string, unknown>): Promise<string> {
  const ast = await openapiTS(document as never, { alphabetize: true });
  return HEADER + astToString(ast);
}
