import { bool, int, type ModuleSettings, type ParsedSettings } from '../../kernel/index.js';

export interface EventsConfig {
  /** Public reads from the cache (Redis with an in-process layer, or memory all-in-one). */
  cache: boolean;
  detailTtlMs: number;
  listTtlMs: number;
  /** Seat changes refresh list pages at most this often (event and capacity pages at once). */
  listSeatsRefreshMs: number;
  /** `Cache-Control: max-age` of public reads (browsers and CDNs; revalidated by ETag after it). */
  httpMaxAgeSeconds: number;
  completeEveryMs: number;
}

export const EVENTS_SETTINGS = {
  EVENTS_CACHE: bool({ default: true, doc: 'Serve public event reads from the cache. Every change invalidates it in every instance at once.' }),
  EVENTS_CACHE_TTL_S: int({ min: 1, max: 86_400, default: 60, doc: 'Longest life of a cached event page (never past the event\'s start, when it stops being upcoming).' }),
  EVENTS_LIST_CACHE_TTL_S: int({ min: 1, max: 3_600, default: 30, doc: 'Longest life of a cached list page (an event that starts leaves `upcoming` lists within it).' }),
  EVENTS_LIST_SEATS_REFRESH_MS: int({ min: 0, max: 60_000, default: 1_000, doc: 'Seat changes (bookings, holds) refresh cached list pages at most this often, so a sale does not empty them on every booking; an event\'s own page and capacity are refreshed at once. 0: on every change.' }),
  EVENTS_HTTP_MAX_AGE_S: int({ min: 0, max: 3_600, default: 5, doc: '`Cache-Control: max-age` of public event reads; clients revalidate with `If-None-Match` after it.' }),
  EVENTS_COMPLETE_EVERY_S: int({ min: 5, max: 3_600, default: 60, doc: 'How often published events that have ended are marked completed.' }),
} as const;

type EventsSettings = ParsedSettings<typeof EVENTS_SETTINGS>;

export const eventsSettings: ModuleSettings<EventsConfig> = {
  table: EVENTS_SETTINGS,
  slice(raw): EventsConfig {
    const s = raw as EventsSettings;
    return {
      cache: s.EVENTS_CACHE,
      detailTtlMs: s.EVENTS_CACHE_TTL_S * 1000,
      listTtlMs: s.EVENTS_LIST_CACHE_TTL_S * 1000,
      listSeatsRefreshMs: s.EVENTS_LIST_SEATS_REFRESH_MS,
      httpMaxAgeSeconds: s.EVENTS_HTTP_MAX_AGE_S,
      completeEveryMs: s.EVENTS_COMPLETE_EVERY_S * 1000,
    };
  },
};
