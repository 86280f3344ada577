import type { ModuleDefinition, ModuleName, ModuleSettings } from '../kernel/index.js';
import { authModule } from './auth/index.js';
import { eventsModule } from './events/index.js';
import { bookingsModule } from './bookings/index.js';
import { analyticsModule } from './analytics/index.js';
import { notificationsModule } from './notifications/index.js';
import { webModule } from './web/index.js';

/** Every module, in start order. */
export const ALL_MODULES: Record<ModuleName, ModuleDefinition> = {
  auth: authModule,
  events: eventsModule,
  bookings: bookingsModule,
  analytics: analyticsModule,
  notifications: notificationsModule,
  web: webModule,
};

/** Every module's own settings (by module name), for the config loader and the settings table. */
export const MODULE_SETTINGS: Readonly<Record<string, ModuleSettings | undefined>> = Object.fromEntries(
  Object.values(ALL_MODULES).map((m) => [m.name, m.settings]),
);

export type { AuthConfig } from './auth/index.js';
export type { MailConfig } from './notifications/index.js';
