/**
 * Refunds are never lost: owed in the transaction that refunds, sent after it, and retried by the
 * sweep while the payment provider fails — for a cancelled booking, an event's cancellation, and a
 * payment that lost its race with the hold's expiry. The provider is a stand-in (a third party);
 * everything else is the real app.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, book, eventOnSale } from '../../../test/support/bookings.js';
import { ADMIN_EVENTS, assertError } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';
import { createBookingsModule, type PaymentProvider } from './index.js';

/** A provider that can be made to fail its refunds, and that remembers what it gave back. */
function standInProvider() {
  const state = { failRefunds: false, refunded: [] as string[], duringCharge: async (_bookingId: string) => {} };
  const provider: PaymentProvider = {
    name: 'stand-in',
    async charge(c) {
      await state.duringCharge(c.booking_id);
      return `pay:${c.booking_id}`;
    },
    async refund(ref) {
      if (state.failRefunds) throw new Error('provider unavailable');
      state.refunded.push(ref);
    },
  };
  return { provider, state };
}

describe('refunds', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  let user: { access_token: string };
  const { provider, state } = standInProvider();
  const refund = async (ref: string) => (await sqlRows<{ state: string; attempts: number; last_error: string | null }>(t.database.url, 'select state, attempts, last_error from bookings.refunds where payment_ref = $1', [ref]))[0];
  /** The sweep, with every back-off cut short. */
  const sweepNow = async () => {
    await sqlRows(t.database.url, "update bookings.refunds set next_at = now() where state = 'due'");
    return (await call(app, 'POST', '/api/v1/admin/bookings/expire', { token: admin })).body;
  };
  const confirmed = async (eventId: string) => {
    const held = await book(app, user.access_token, eventId, 1);
    const paid = await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/confirm`, { token: user.access_token });
    assert.equal(paid.body.status, 'confirmed', JSON.stringify(paid.body));
    return paid.body as { id: string };
  };

  before(async () => {
    t = await startTestEvently({ redis: 'when-available', modules: { bookings: createBookingsModule({ payments: provider }) }, env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV, BOOKINGS_EXPIRE_EVERY_S: '3600' } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    user = await signUp(app, `refunds-${Date.now()}@example.com`);
  }, { timeout: 60_000 });
  after(() => t?.close(), { timeout: 60_000 });
  beforeEach(() => {
    state.failRefunds = false;
    state.duringCharge = async () => {};
  });

  it('a refund the provider refuses stays owed, and the sweep sends it once the provider is back', async () => {
    const e = await eventOnSale(app, admin, { capacity: 5 });
    const b = await confirmed(e.id);
    state.failRefunds = true;
    const cancelled = await call(app, 'PUT', `${BOOKINGS}/${b.id}/cancel`, { token: user.access_token });
    assert.equal(cancelled.body.status, 'refunded', 'the booking is refunded in Evently at once');
    assert.deepEqual(await refund(`pay:${b.id}`), { state: 'due', attempts: 1, last_error: 'provider unavailable' });
    assert.equal((await sweepNow()).refunds_sent, 0, 'still failing');
    assert.equal((await refund(`pay:${b.id}`))!.attempts, 2);
    state.failRefunds = false;
    assert.equal((await sweepNow()).refunds_sent, 1);
    assert.deepEqual(await refund(`pay:${b.id}`), { state: 'sent', attempts: 3, last_error: null });
    assert.equal((await sweepNow()).refunds_sent, 0, 'sent once');
    assert.equal(state.refunded.filter((r) => r === `pay:${b.id}`).length, 1);
  });

  it('an event\'s cancellation owes every confirmed booking its money back, through a provider outage', async () => {
    const e = await eventOnSale(app, admin, { capacity: 5 });
    const paid = [await confirmed(e.id), await confirmed(e.id)];
    state.failRefunds = true;
    assert.equal((await call(app, 'POST', `${ADMIN_EVENTS}/${e.id}/cancel`, { token: admin, body: { reason: 'storm' } })).status, 200);
    await eventually(async () => ((await refund(`pay:${paid[1]!.id}`))?.attempts === 1 ? true : undefined), 'both refunds owed and tried');
    assert.equal((await refund(`pay:${paid[0]!.id}`))!.state, 'due');
    state.failRefunds = false;
    assert.equal((await sweepNow()).refunds_sent, 2);
    assert.deepEqual(paid.map((b) => state.refunded.includes(`pay:${b.id}`)), [true, true]);
  });

  it('a payment that lost its race with the hold\'s expiry is given back (409 HOLD_EXPIRED, no seat taken)', async () => {
    const e = await eventOnSale(app, admin, { capacity: 5 });
    const held = await book(app, user.access_token, e.id, 1);
    // The hold runs out while the provider takes the money.
    state.duringCharge = async (id) => {
      await sqlRows(t.database.url, "update bookings.bookings set expires_at = now() - interval '1 second' where id = $1", [id]);
    };
    assertError(await call(app, 'PUT', `${BOOKINGS}/${held.body.id}/confirm`, { token: user.access_token }), 409, 'HOLD_EXPIRED', 'a late confirm');
    assert.deepEqual(await refund(`pay:${held.body.id}`), { state: 'sent', attempts: 1, last_error: null });
    assert.ok(state.refunded.includes(`pay:${held.body.id}`));
  });
});
