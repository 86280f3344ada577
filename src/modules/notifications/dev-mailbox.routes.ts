import type { App, Db } from '../../kernel/index.js';
import { PUBLIC, errorResponses } from '../../kernel/index.js';
import { listDevMail } from './dev-mailbox.repository.js';
import { DevMailboxQuery, DevMailboxResponse } from './dev-mailbox.schemas.js';

/**
 * The development mailbox (SPEC §7): registered only while EVENTLY_DEV_MAILBOX is on, so a
 * deployment without it has no such route at all. It shows one-time codes: never turn it on where
 * strangers can reach the API.
 */
export function devMailboxRoutes(app: App, db: Db): void {
  app.get('/dev/mailbox', {
    schema: {
      tags: ['dev'],
      summary: 'Mail kept by the development mailbox, newest first',
      operationId: 'listDevMail',
      security: PUBLIC,
      querystring: DevMailboxQuery,
      response: { 200: DevMailboxResponse, ...errorResponses(400) },
    },
  }, async (request): Promise<DevMailboxResponse> => {
    const mails = await listDevMail(db, { to: request.query.to, limit: request.query.limit });
    return { items: mails.map((m) => ({ ...m, created_at: m.created_at.toISOString() })) };
  });
}
