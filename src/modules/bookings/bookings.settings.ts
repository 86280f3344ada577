import { int, oneOf, type ModuleSettings, type ParsedSettings } from '../../kernel/index.js';

export interface BookingsConfig {
  /** How long a new booking holds its seats unless confirmed. */
  holdMs: number;
  /** How long a waitlist offer holds its seats for the entry before they pass on. */
  offerMs: number;
  /** Confirmed bookings are refunded on cancellation only this long before the event starts. */
  refundCutoffMs: number;
  /** How often every replica sweeps expired holds (a bounded batch each). */
  expireEveryMs: number;
  expireBatch: number;
  payment: 'offline' | 'simulated';
  writeStrategy: 'batch' | 'single';
  /** Most live availability streams one process keeps open. */
  streamMaxClients: number;
  maxBatch: number;
  /** The simulated provider: its latency and the share of payments it declines. */
  simulatedLatencyMs: number;
  simulatedFailurePercent: number;
}

export const BOOKINGS_SETTINGS = {
  BOOKINGS_HOLD_MINUTES: int({ min: 1, max: 1_440, default: 15, doc: 'How long a new booking holds its seats before it expires unless confirmed.' }),
  BOOKINGS_OFFER_MINUTES: int({ min: 1, max: 10_080, default: 30, doc: 'How long a waitlist offer holds its seats for the entry at the head of the line; unaccepted, they pass to the next entry.' }),
  BOOKINGS_REFUND_CUTOFF_HOURS: int({ min: 0, max: 8_760, default: 24, doc: 'A confirmed booking cancelled later than this before the event starts is not refunded (409 `REFUND_CUTOFF`); admins can still refund.' }),
  BOOKINGS_EXPIRE_EVERY_S: int({ min: 1, max: 3_600, default: 5, doc: 'How often each replica releases expired holds (the sweep takes rows other replicas are not handling).' }),
  BOOKINGS_EXPIRE_BATCH: int({ min: 1, max: 10_000, default: 500, doc: 'Most holds one sweep transaction expires; the sweep repeats until none is due.' }),
  BOOKINGS_WRITE_STRATEGY: oneOf(['batch', 'single'], { default: 'batch', doc: 'How holds are written. `batch`: the holds of an event that arrive while one of its transactions commits go together in the next (one ledger update per batch); `single`: one transaction per hold (every hold of an event queues on its ledger row). `npm run bench:flash-sale` compares them.' }),
  BOOKINGS_MAX_BATCH: int({ min: 1, max: 1_000, default: 200, doc: 'Most holds one `batch` transaction writes.' }),
  BOOKINGS_STREAM_MAX_CLIENTS: int({ min: 1, max: 100_000, default: 1_000, doc: 'Most live availability streams (`GET /api/v1/availability/events/{id}/stream`) one process keeps open; past it a new one is refused with 503 `OVERLOADED` and `Retry-After`.' }),
  BOOKINGS_PAYMENT_PROVIDER: oneOf(['offline', 'simulated'], { default: 'offline', doc: '`offline`: payment is recorded as taken offline (manual); `simulated`: a provider with latency and declines, for tests and benchmarks.' }),
  BOOKINGS_SIMULATED_LATENCY_MS: int({ min: 0, max: 60_000, default: 50, doc: 'Latency of each call to the simulated payment provider.' }),
  BOOKINGS_SIMULATED_FAILURE_PERCENT: int({ min: 0, max: 100, default: 0, doc: 'Share of payments the simulated provider declines (402 `PAYMENT_DECLINED`).' }),
} as const;

type BookingsSettings = ParsedSettings<typeof BOOKINGS_SETTINGS>;

export const bookingsSettings: ModuleSettings<BookingsConfig> = {
  table: BOOKINGS_SETTINGS,
  slice(raw): BookingsConfig {
    const s = raw as BookingsSettings;
    return {
      holdMs: s.BOOKINGS_HOLD_MINUTES * 60_000,
      offerMs: s.BOOKINGS_OFFER_MINUTES * 60_000,
      refundCutoffMs: s.BOOKINGS_REFUND_CUTOFF_HOURS * 3_600_000,
      expireEveryMs: s.BOOKINGS_EXPIRE_EVERY_S * 1000,
      expireBatch: s.BOOKINGS_EXPIRE_BATCH,
      payment: s.BOOKINGS_PAYMENT_PROVIDER,
      writeStrategy: s.BOOKINGS_WRITE_STRATEGY,
      maxBatch: s.BOOKINGS_MAX_BATCH,
      streamMaxClients: s.BOOKINGS_STREAM_MAX_CLIENTS,
      simulatedLatencyMs: s.BOOKINGS_SIMULATED_LATENCY_MS,
      simulatedFailurePercent: s.BOOKINGS_SIMULATED_FAILURE_PERCENT,
    };
  },
};
