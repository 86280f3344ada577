import type { Logger, PeriodicTask, Transact } from '../../kernel/index.js';
import type { AnalyticsConfig } from './analytics.settings.js';
import { pruneEventLog } from './projection.repository.js';

const BATCH = 5_000;
const DAY_MS = 86_400_000;

/** Removes event-log entries past ANALYTICS_EVENT_LOG_DAYS, a batch per short transaction (one replica at a time). */
export function retentionTask(o: { transaction: Transact; config: AnalyticsConfig; logger: Logger }): PeriodicTask {
  return {
    name: 'analytics.event-log-retention',
    everyMs: o.config.retentionEveryMs,
    singleton: true,
    runAtStart: true,
    async run(signal) {
      const before = new Date(Date.now() - o.config.eventLogDays * DAY_MS);
      let removed = 0;
      for (;;) {
        const n = await o.transaction((trx) => pruneEventLog(trx, before, BATCH));
        removed += n;
        if (n < BATCH || signal.aborted) break;
      }
      if (removed) o.logger.info({ removed, before }, 'analytics event log pruned');
      return removed;
    },
  };
}
