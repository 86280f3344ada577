import type { Transact } from '../db/transaction.js';
import type { Logger } from '../logger.js';
import type { Consumer } from '../module.js';
import { runWithContext } from '../context.js';
import { applyOnce } from './inbox.js';
import { topicMatches, type EventBus } from './types.js';

/**
 * Subscribes a module's consumers as one consumer group (the module's name): replicas of the module
 * share the events, and each consumer applies each event once through the module's inbox.
 */
export function subscribeConsumers(o: { bus: EventBus; transaction: Transact; schema: string; group: string; consumers: Consumer[]; logger: Logger }): void {
  if (!o.consumers.length) return;
  const topics = [...new Set(o.consumers.flatMap((c) => c.topics))];
  o.bus.subscribe({
    group: o.group,
    topics,
    handler: (event) =>
      runWithContext({ requestId: event.correlationId ?? event.id }, async () => {
        for (const consumer of o.consumers) {
          if (!topicMatches(consumer.topics, event.type)) continue;
          const applied = await applyOnce(o.transaction, o.schema, consumer.name, event, (trx) => consumer.handle(event, trx));
          o.logger.debug({ consumer: consumer.name, event_id: event.id, type: event.type, applied }, 'event consumed');
        }
      }),
  });
}
