import { setTimeout as sleep } from 'node:timers/promises';
import { newId } from '../../kernel/index.js';
import type { BookingsConfig } from './bookings.settings.js';

export interface Charge {
  booking_id: string;
  reference: string;
  amount: string;
  currency: string;
}

/**
 * Where money moves. Never called inside a database transaction: a slow provider must not hold
 * locks or connections. `charge` returns the provider's reference or throws `PaymentDeclined`.
 * `refund` may be asked twice for one payment (a process can die after the provider took it and
 * before Evently recorded that): the provider must give the money back once (key it on the payment).
 */
export interface PaymentProvider {
  readonly name: string;
  charge(c: Charge): Promise<string>;
  refund(paymentRef: string, c: Charge): Promise<void>;
}

export class PaymentDeclined extends Error {}

/** Payment taken outside Evently (at the door, by bank transfer): recorded, nothing charged. */
export const offlineProvider: PaymentProvider = {
  name: 'offline',
  async charge(c) {
    return `offline:${c.reference}`;
  },
  async refund() {},
};

/** A provider with latency and a share of declines, for tests and benchmarks. */
export function simulatedProvider(o: { latencyMs: number; failurePercent: number }): PaymentProvider {
  return {
    name: 'simulated',
    async charge() {
      await sleep(o.latencyMs);
      if (Math.random() * 100 < o.failurePercent) throw new PaymentDeclined('the simulated provider declined the payment');
      return `sim:${newId()}`;
    },
    async refund() {
      await sleep(o.latencyMs);
    },
  };
}

export function paymentProvider(config: BookingsConfig): PaymentProvider {
  return config.payment === 'simulated' ? simulatedProvider({ latencyMs: config.simulatedLatencyMs, failurePercent: config.simulatedFailurePercent }) : offlineProvider;
}
