import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bookingContribution, difference, fromMinor, toMinor, type BookingCopy } from './contribution.js';

const at = (s: string) => new Date(`2026-03-0${s}T12:00:00Z`);
const booking = (o: Partial<BookingCopy>): BookingCopy => ({
  event_id: 'e1', quantity: 2, amount_minor: 2500, currency: 'EUR', status: 'pending', held_at: at('1'), confirmed_at: null, ended_at: null, ...o,
});

describe('analytics contributions', () => {
  it('money in minor units, exactly', () => {
    assert.equal(toMinor('12.50'), 1250);
    assert.equal(toMinor('0.07'), 7);
    assert.equal(fromMinor(1250), '12.50');
    assert.equal(fromMinor(-7), '-0.07');
    assert.equal(fromMinor('99999999999999'), '999999999999.99');
    assert.throws(() => toMinor('1.5'));
  });

  it('a refunded booking: one hold, a sale on its confirmation day, a refund on its refund day, nothing sold now', () => {
    const parts = bookingContribution(booking({ status: 'refunded', confirmed_at: at('2'), ended_at: at('3') }));
    assert.deepEqual(parts.find((p) => p.table === 'event_stats')!.values, {
      holds: 1, confirmed: 0, tickets_sold: 0, pending: 0, pending_tickets: 0, cancelled: 0, expired: 0, refunded: 1, tickets_refunded: 2, gross_minor: 2500, refunds_minor: 2500,
    });
    assert.deepEqual(parts.filter((p) => p.table !== 'event_stats').map((p) => [p.key, p.values]), [
      [{ day: '2026-03-01' }, { holds: 1 }],
      [{ day: '2026-03-02' }, { confirmed: 1, tickets_sold: 2 }],
      [{ day: '2026-03-02', currency: 'EUR' }, { gross_minor: 2500 }],
      [{ day: '2026-03-03' }, { refunded: 1, tickets_refunded: 2 }],
      [{ day: '2026-03-03', currency: 'EUR' }, { refunds_minor: 2500 }],
    ]);
  });

  it('difference: only what moved, in lock order; a step whose message comes late moves to its own day', () => {
    const early = booking({ status: 'refunded', held_at: null, confirmed_at: null, ended_at: at('3') });
    const late = booking({ status: 'refunded', held_at: at('1'), confirmed_at: at('2'), ended_at: at('3') });
    const d = difference(bookingContribution(early), bookingContribution(late));
    assert.deepEqual(d.map((p) => [p.table, p.key, p.values]), [
      ['daily_stats', { day: '2026-03-01' }, { holds: 1 }],
      ['daily_stats', { day: '2026-03-02' }, { confirmed: 1, tickets_sold: 2 }],
      ['daily_stats', { day: '2026-03-03' }, { holds: -1, confirmed: -1, tickets_sold: -2 }],
      ['daily_revenue', { day: '2026-03-02', currency: 'EUR' }, { gross_minor: 2500 }],
      ['daily_revenue', { day: '2026-03-03', currency: 'EUR' }, { gross_minor: -2500 }],
    ]);
    assert.deepEqual(difference(bookingContribution(late), bookingContribution(late)), []);
  });
});
