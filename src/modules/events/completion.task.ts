import { afterCommit, type PeriodicTask } from '../../kernel/index.js';
import { completeEnded } from './event.repository.js';
import { invalidateQuietly, type EventsDeps } from './events.deps.js';
import { eventMessages } from './events.events.js';

const BATCH = 200;

/** Published events that have ended become completed, each with its message, a batch per transaction. */
export function completionTask(deps: EventsDeps): PeriodicTask {
  return {
    name: 'events.complete-ended',
    everyMs: deps.config.completeEveryMs,
    singleton: true,
    runAtStart: true,
    async run() {
      let done = 0;
      for (;;) {
        const batch = await deps.transaction(async (trx) => {
          const events = await completeEnded(trx, BATCH);
          if (events.length) {
            await deps.outbox.add(trx, ...events.map(eventMessages.completed));
            afterCommit(trx, () => invalidateQuietly(deps, events.map((e) => e.id)));
          }
          return events.length;
        });
        done += batch;
        if (batch < BATCH) break;
      }
      if (done) deps.logger.info({ events: done }, 'ended events marked completed');
    },
  };
}
