import { Type } from 'typebox';
import { Uuid } from './common.js';
import type { EventContract, PayloadOf } from './contract.js';

/**
 * The events the bookings module publishes that other modules consume. Producer: bookings (built by
 * a later issue; this contract is what the events module already reads).
 */
export const BOOKINGS_EVENTS = {
  /**
   * The seats of one event as the bookings ledger counts them after a change. `ledger_version`
   * grows with every change of the event's ledger, so a consumer keeps the newest whatever the
   * delivery order. `sold` counts seats of confirmed bookings, `held` those of live holds; the
   * bookings module has the last word on both.
   */
  'bookings.availability.changed': {
    version: 1,
    payload: Type.Object({
      event_id: Uuid,
      capacity: Type.Integer({ minimum: 0 }),
      held: Type.Integer({ minimum: 0 }),
      sold: Type.Integer({ minimum: 0 }),
      available: Type.Integer({ minimum: 0 }),
      ledger_version: Type.Integer({ minimum: 1 }),
    }),
  },
} as const satisfies Record<string, EventContract>;

export type BookingsEventType = keyof typeof BOOKINGS_EVENTS;
export type BookingsPayload<T extends BookingsEventType> = PayloadOf<(typeof BOOKINGS_EVENTS)[T]>;
