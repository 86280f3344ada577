import { defineModule } from '../../kernel/index.js';

/** Event-driven read models and reports (SPEC §6). Filled in by a later issue. */
export const analyticsModule = defineModule({
  name: 'analytics',
  description: 'Event-driven metrics and reports',
  schema: 'analytics',
  migrationsDir: null,
  create: () => ({}),
});
