import type { ModuleDefinition, ModuleName } from '../kernel/index.js';
import { authModule } from './auth/index.js';
import { eventsModule } from './events/index.js';
import { bookingsModule } from './bookings/index.js';
import { analyticsModule } from './analytics/index.js';
import { notificationsModule } from './notifications/index.js';

/** Every module, in start order. */
export const ALL_MODULES: Record<ModuleName, ModuleDefinition> = {
  auth: authModule,
  events: eventsModule,
  bookings: bookingsModule,
  analytics: analyticsModule,
  notifications: notificationsModule,
};
