import { defineModule } from '../../kernel/index.js';

/** Inventory ledger, bookings, holds, waitlist and audit log (SPEC §5). Filled in by a later issue. */
export const bookingsModule = defineModule({
  name: 'bookings',
  description: 'Inventory, bookings, holds, waitlist and audit trail',
  schema: 'bookings',
  migrationsDir: null,
  create: () => ({}),
});
