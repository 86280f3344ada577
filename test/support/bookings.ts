import assert from 'node:assert/strict';
import type { App } from '../../src/kernel/index.js';
import { call, eventually, type Called } from './auth.js';
import { publishedEvent } from './events.js';

export const BOOKINGS = '/api/v1/bookings';

/** A published event that the bookings module knows as on sale: ready to book. */
export async function eventOnSale(app: App, adminToken: string, overrides: Record<string, unknown> = {}, inDays = 30): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const e = await publishedEvent(app, adminToken, overrides, inDays);
  await eventually(async () => {
    const r = await call(app, 'GET', `/api/v1/availability/events/${e.id}/check`);
    return r.status === 200 && r.body.bookable ? true : undefined;
  }, 'the new event on sale in bookings');
  return e;
}

export async function book(app: App, token: string, eventId: string, quantity = 1, headers: Record<string, string> = {}): Promise<Called> {
  return call(app, 'POST', BOOKINGS, { token, body: { event_id: eventId, quantity }, headers });
}

export async function seats(app: App, eventId: string): Promise<{ total: number; available: number; held: number; confirmed: number; waiting: number; version: number }> {
  const r = await call(app, 'GET', `/api/v1/availability/events/${eventId}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body;
}
