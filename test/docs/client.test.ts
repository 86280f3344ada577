import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createEventlyClient } from '../../src/client/index.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, login } from '../support/auth.js';
import { eventOnSale } from '../support/bookings.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { clientTypesSource, openApiDocument } from '../support/openapi.js';
import { ROOT } from '../support/process.js';

/**
 * The typed client (`evently/client`) is generated from the API's own OpenAPI document: the file
 * in the repository is what the current API generates, and the client works over real HTTP.
 */
describe('typed API client', () => {
  let t: TestEvently;
  before(async () => {
    // The dev mailbox on, as `npm run client:generate` documents it.
    t = await startTestEvently({ listen: true, env: { ...ADMIN_ENV, EVENTLY_DEV_MAILBOX: 'true' } });
  });
  after(() => t?.close());

  it('src/client/openapi.ts is what the current OpenAPI document generates (else: npm run client:generate)', async () => {
    const expected = await clientTypesSource(await openApiDocument(t.evently.app));
    const committed = readFileSync(path.join(ROOT, 'src/client/openapi.ts'), 'utf8');
    assert.ok(committed === expected, 'src/client/openapi.ts is out of date: run `npm run client:generate`');
  });

  it('calls the API over HTTP with a token, and gives the error envelope on failure', async () => {
    const admin = await login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD);
    const e = await eventOnSale(t.evently.app, admin.access_token, { title: 'Client Check Event' });
    const client = createEventlyClient({ baseUrl: t.evently.url!, token: () => admin.access_token });
    const me = await client.GET('/api/v1/auth/me');
    assert.equal(me.data?.email, ADMIN_EMAIL);
    const found = await client.GET('/api/v1/events/{id}', { params: { path: { id: e.id } } });
    assert.equal(found.data?.title, 'Client Check Event');
    const missing = await createEventlyClient({ baseUrl: t.evently.url! }).GET('/api/v1/auth/me');
    assert.equal(missing.response.status, 401);
    assert.equal(missing.error?.error.code, 'UNAUTHENTICATED');
  });
});
