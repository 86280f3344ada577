import type { Consumer, Logger } from '../../kernel/index.js';
import { payloadOf } from './auth-events.js';
import { forgetUnsentMailOf } from './mail-log.repository.js';
import { applyRecipientChange, markRecipientDeleted } from './recipients.repository.js';

/**
 * Keeps `recipients`, the module's projection of auth users (emails and names for the mails).
 * Every write is an idempotent upsert ordered by the event's occurredAt, so duplicates and
 * out-of-order delivery leave the same state as in-order delivery.
 */
export function recipientsConsumer(logger: Logger): Consumer {
  return {
    name: 'notifications.recipients',
    topics: ['auth.user.registered', 'auth.user.updated', 'auth.user.deleted'],
    async handle(event, trx) {
      const at = event.occurredAt;
      const registered = payloadOf(event, 'auth.user.registered', logger);
      if (registered) {
        await applyRecipientChange(trx, {
          user_id: registered.user_id,
          at,
          email: registered.email,
          username: registered.username,
          name: registered.full_name,
        });
        return;
      }
      const updated = payloadOf(event, 'auth.user.updated', logger);
      if (updated) {
        // role and is_active do not change who gets mail or how it is addressed.
        await applyRecipientChange(trx, { user_id: updated.user_id, at, email: updated.email, name: updated.full_name });
        return;
      }
      const deleted = payloadOf(event, 'auth.user.deleted', logger);
      if (deleted) {
        await markRecipientDeleted(trx, deleted.user_id, at);
        // Their mails not sent yet lose address and code, and queued ones are never sent.
        await forgetUnsentMailOf(trx, deleted.user_id);
      }
    },
  };
}
