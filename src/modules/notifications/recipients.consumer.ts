import type { Consumer, Logger } from '../../kernel/index.js';
import { payloadOf } from './auth-events.js';
import { forgetUnsentMailOf } from './mail-log.repository.js';
import { applyRecipient, markRecipientDeleted } from './recipients.repository.js';

/**
 * Keeps `recipients`, the module's projection of auth users (emails and names for the mails). Every
 * user event carries the whole user and its version: the newer version wins, so duplicates and
 * out-of-order delivery leave the same state as in-order delivery.
 */
export function recipientsConsumer(logger: Logger): Consumer {
  return {
    name: 'notifications.recipients',
    topics: ['auth.user.registered', 'auth.user.updated', 'auth.user.verified', 'auth.user.deleted'],
    async handle(event, trx) {
      const user = payloadOf(event, 'auth.user.registered', logger) ?? payloadOf(event, 'auth.user.updated', logger) ?? payloadOf(event, 'auth.user.verified', logger);
      if (user) {
        await applyRecipient(trx, { user_id: user.user_id, email: user.email, username: user.username, name: user.full_name, version: user.entity_version });
        return;
      }
      const deleted = payloadOf(event, 'auth.user.deleted', logger);
      if (deleted) {
        await markRecipientDeleted(trx, deleted.user_id, deleted.entity_version);
        // Their mails not sent yet lose address and code, and queued ones are never sent.
        await forgetUnsentMailOf(trx, deleted.user_id);
      }
    },
  };
}
