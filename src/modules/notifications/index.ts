import type { ModuleDefinition } from '../../kernel/index.js';

/** The email worker: events in, durable mail jobs out (SPEC §7). Filled in by a later issue. */
export const notificationsModule: ModuleDefinition = {
  name: 'notifications',
  description: 'Email worker: turns events into emails',
  schema: 'notifications',
  migrationsDir: null,
};
