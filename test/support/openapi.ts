import openapiTS, { astToString } from 'openapi-typescript';
import { startTestEvently } from './evently.js';
import { createTestDatabase } from './db.js';

/** The OpenAPI document of the real app (every module, dev mailbox on), as /docs/json serves it. */
export async function openApiDocument(adminUrl: string): Promise<Record<string, unknown>> {
  const database = await createTestDatabase(adminUrl);
  const t = await startTestEvently({ database, env: { EVENTLY_DEV_MAILBOX: 'true' } });
  try {
    const res = await t.evently.app.inject({ method: 'GET', url: '/docs/json' });
    if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
    return res.json();
  } finally {
    await t.close();
    await database.drop();
  }
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
