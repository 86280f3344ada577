import { defineModule } from '../../kernel/index.js';

/** Event catalogue: CRUD, lifecycle, cached browse (SPEC §4). Filled in by a later issue. */
export const eventsModule = defineModule({
  name: 'events',
  description: 'Event catalogue, lifecycle and cached browse',
  schema: 'events',
  migrationsDir: null,
  create: () => ({}),
});
