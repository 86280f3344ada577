import assert from 'node:assert/strict';
import { defineModule, newId, type App, type DomainEvent } from '../../src/kernel/index.js';
import type { Evently } from '../../src/main.js';
import { call, type Called } from './auth.js';

export const ADMIN_EVENTS = '/api/v1/admin/events';
const DAY = 86_400_000;

/** A valid event body starting `inDays` from now (a whole day long), with any field overridden. */
export function eventBody(overrides: Record<string, unknown> = {}, inDays = 30): Record<string, unknown> {
  const starts = new Date(Date.now() + inDays * DAY);
  return {
    title: `Concert ${newId().slice(-6)}`,
    venue: 'Royal Albert Hall',
    category: 'music',
    starts_at: starts.toISOString(),
    ends_at: new Date(starts.getTime() + 3 * 3_600_000).toISOString(),
    capacity: 100,
    price: '25.00',
    ...overrides,
  };
}

/** Creates a draft as the admin; returns the event as the API shows it. */
export async function createEvent(app: App, adminToken: string, overrides: Record<string, unknown> = {}, inDays = 30): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await call(app, 'POST', ADMIN_EVENTS, { token: adminToken, body: eventBody(overrides, inDays) });
  assert.equal(r.status, 201, `create event: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Creates and publishes an event. */
export async function publishedEvent(app: App, adminToken: string, overrides: Record<string, unknown> = {}, inDays = 30): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const e = await createEvent(app, adminToken, overrides, inDays);
  const r = await call(app, 'POST', `${ADMIN_EVENTS}/${e.id}/publish`, { token: adminToken });
  assert.equal(r.status, 200, `publish event: ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * The bookings module replaced by one that does nothing: the events suites play its part on the bus
 * (seatsChanged), with ledger versions of their own that the real ledger's messages would contend with.
 */
export const WITHOUT_BOOKINGS = {
  bookings: defineModule({ name: 'bookings', description: 'Played by the test (seatsChanged)', schema: 'bookings', migrationsDir: null, create: () => ({}) }),
};

/**
 * What the bookings module publishes when an event's seats move (its contract is in
 * src/contracts/bookings.ts). Bookings is built later: until then tests stand in for it on the bus.
 */
export async function seatsChanged(evently: Evently, p: { event_id: string; capacity: number; held: number; sold: number; ledger_version: number }): Promise<void> {
  const event: DomainEvent = {
    id: newId(),
    type: 'bookings.availability.changed',
    version: 1,
    occurredAt: new Date().toISOString(),
    correlationId: null,
    payload: { ...p, available: Math.max(0, p.capacity - p.held - p.sold), waiting: 0 },
  };
  await evently.adapters.bus.publish([event]);
}

export function assertError(r: Called, status: number, code: string, what: string): void {
  assert.deepEqual([r.status, r.code], [status, code], `${what}: ${JSON.stringify(r.body)}`);
}

/** True when the 400's details name the field. */
export function namesField(r: Called, field: string): boolean {
  const details = (r.body?.error?.details ?? []) as { field?: string }[];
  return details.some((d) => d.field === field || d.field === `body.${field}` || d.field?.endsWith(`.${field}`) || d.field?.endsWith(`/${field}`));
}
