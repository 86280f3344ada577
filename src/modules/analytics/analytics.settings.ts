import { int, type ModuleSettings, type ParsedSettings } from '../../kernel/index.js';

export interface AnalyticsConfig {
  eventLogDays: number;
  retentionEveryMs: number;
}

export const ANALYTICS_SETTINGS = {
  ANALYTICS_EVENT_LOG_DAYS: int({ min: 1, max: 3_650, default: 30, doc: 'How long the analytics event log keeps each message it applied (the read models keep their totals for good).' }),
  ANALYTICS_RETENTION_EVERY_S: int({ min: 60, max: 86_400, default: 3_600, doc: 'How often entries older than ANALYTICS_EVENT_LOG_DAYS are removed from the event log.' }),
} as const;

type AnalyticsSettings = ParsedSettings<typeof ANALYTICS_SETTINGS>;

export const analyticsSettings: ModuleSettings<AnalyticsConfig> = {
  table: ANALYTICS_SETTINGS,
  slice(raw): AnalyticsConfig {
    const s = raw as AnalyticsSettings;
    return { eventLogDays: s.ANALYTICS_EVENT_LOG_DAYS, retentionEveryMs: s.ANALYTICS_RETENTION_EVERY_S * 1000 };
  },
};
