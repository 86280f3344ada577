import { fileURLToPath } from 'node:url';
import { defineModule } from '../../kernel/index.js';
import { analyticsRoutes } from './analytics.routes.js';
import { analyticsSettings, type AnalyticsConfig } from './analytics.settings.js';
import type { DB as AnalyticsTables } from './analytics.tables.js';
import { projectionConsumer } from './projection.consumer.js';
import { retentionTask } from './retention.task.js';

export type { AnalyticsConfig } from './analytics.settings.js';

/**
 * Event-driven read models and reports (SPEC §6): every user, event, booking and waitlist message
 * moves the models by the difference it makes, once per message (the inbox) and whatever the
 * delivery order (entity versions). Reports are admin-only.
 */
export const analyticsModule = defineModule<AnalyticsConfig, AnalyticsTables>({
  name: 'analytics',
  description: 'Event-driven metrics and reports',
  schema: 'analytics',
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  settings: analyticsSettings,

  create(ctx) {
    return {
      async routes(app) {
        await app.register(async (scope) => analyticsRoutes(scope as typeof app, ctx.db, ctx.access));
      },
      consumers: [projectionConsumer(ctx.logger)],
      tasks: [retentionTask({ transaction: ctx.transaction, config: ctx.config, logger: ctx.logger })],
    };
  },
});
