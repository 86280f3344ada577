/**
 * SPEC §7's booking, waitlist and event emails through the real app and its dev mailbox: each
 * change mails its owner once, with text and HTML parts and every user value escaped; a confirmed
 * booking carries its calendar entry in the event's time zone; a change of time or place reaches
 * every attendee, and an event's cancellation reaches each attendee once however many bookings
 * and waitlist places they had.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from '../../../test/support/suite.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NO_AUTH_LIMITS, call, eventually, login, signUp, sqlRows } from '../../../test/support/auth.js';
import { BOOKINGS, book, eventOnSale } from '../../../test/support/bookings.js';
import { ADMIN_EVENTS } from '../../../test/support/events.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';

interface Mail { to: string; subject: string; text: string; html: string; template: string; attachments: { filename: string; contentType: string; content: string }[] }

const TITLE = 'Jazz <script>alert(1)</script> & "Friends"';

describe('booking, waitlist and event emails', () => {
  let t: TestEvently;
  let app: App;
  let admin: string;
  const users: Record<string, { access_token: string; user_id: string; email: string }> = {};

  before(async () => {
    t = await startTestEvently({ redis: 'when-available', env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV, BOOKINGS_EXPIRE_EVERY_S: '3600' } });
    app = t.evently.app;
    admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    for (const name of ['ann', 'ben', 'cat']) {
      const email = `${name}-${Date.now()}@example.com`;
      users[name] = { ...(await signUp(app, email)), email };
    }
  }, { timeout: 90_000 });
  after(() => t?.close(), { timeout: 60_000 });

  const mailbox = async (who: string): Promise<Mail[]> => (await call(app, 'GET', `/dev/mailbox?to=${encodeURIComponent(users[who]!.email)}&limit=100`)).body.items;
  const mailOf = (who: string, template: string, n = 1) => eventually(async () => {
    const found = (await mailbox(who)).filter((m) => m.template === template);
    return found.length >= n ? found : undefined;
  }, `${n} ${template} mail(s) to ${who}`);
  const put = async (who: string, path: string, body?: unknown) => {
    const r = await call(app, 'PUT', path, { token: users[who]!.access_token, body });
    assert.equal(r.status, 200, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const hold = async (who: string, eventId: string, n = 1) => {
    const r = await book(app, users[who]!.access_token, eventId, n);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  it('held, confirmed (with its calendar entry in the event\'s zone), cancelled, refunded, expired: one mail each, escaped', async () => {
    const e = await eventOnSale(app, admin, { title: TITLE, venue: 'Blue Note, NYC', timezone: 'America/New_York', starts_at: '2027-01-15T01:30:00Z', ends_at: '2027-01-15T04:00:00Z', price: '20.00' }, 0);
    const a = await hold('ann', e.id, 2);
    const [held] = await mailOf('ann', 'booking_held');
    assert.equal(held!.subject, 'Your seats are held: pay to confirm');
    assert.match(held!.text, new RegExp(`${a.reference}, total 40\\.00 USD`));
    // 01:30 UTC on the 15th is 20:30 on the 14th in New York.
    assert.match(held!.text, /Thursday, 14 January 2027 at 20:30 GMT-5\./);
    assert.ok(held!.text.includes(TITLE), 'the text part has the title as it is');
    assert.ok(held!.html.includes('Jazz &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Friends&quot;') && !held!.html.includes('<script>'), held!.html);

    await put('ann', `${BOOKINGS}/${a.id}/confirm`);
    const [confirmed] = await mailOf('ann', 'booking_confirmed');
    assert.equal(confirmed!.attachments.length, 1);
    const ics = confirmed!.attachments[0]!;
    assert.equal(ics.filename, 'event.ics');
    assert.match(ics.contentType, /^text\/calendar/);
    assert.match(ics.content, /BEGIN:VTIMEZONE\r\nTZID:America\/New_York/);
    assert.match(ics.content, /DTSTART;TZID=America\/New_York:20270114T203000/);
    assert.match(ics.content, /DTEND;TZID=America\/New_York:20270114T230000/);
    assert.match(ics.content, /SUMMARY:Jazz <script>alert\(1\)<\/script> & "Friends"/);
    assert.match(ics.content, /LOCATION:Blue Note\\, NYC/);
    assert.match(ics.content, /DTSTAMP:\d{8}T\d{6}Z/);

    await put('ann', `${BOOKINGS}/${a.id}/cancel`, { reason: 'ill </p><b>' });
    const [refunded] = await mailOf('ann', 'booking_refunded');
    assert.match(refunded!.text, /40\.00 USD is refunded/);
    assert.ok(refunded!.html.includes('ill &lt;/p&gt;&lt;b&gt;'));

    const b = await hold('ben', e.id, 1);
    await put('ben', `${BOOKINGS}/${b.id}/cancel`);
    assert.match((await mailOf('ben', 'booking_cancelled'))[0]!.text, /Nothing was charged/);

    const c = await hold('cat', e.id, 1);
    await sqlRows(t.database.url, "update bookings.bookings set expires_at = now() - interval '1 second' where id = $1", [c.id]);
    const swept = await call(app, 'POST', '/api/v1/admin/bookings/expire', { token: admin });
    assert.equal(swept.body.expired, 1, JSON.stringify(swept.body));
    assert.match((await mailOf('cat', 'hold_expired'))[0]!.text, /was not confirmed in time/);

    // Exactly once each, however long we wait for a second.
    await new Promise((r) => setTimeout(r, 500));
    const count = (mails: Mail[], template: string) => mails.filter((m) => m.template === template).length;
    const ann = await mailbox('ann');
    assert.deepEqual(['booking_held', 'booking_confirmed', 'booking_refunded'].map((x) => count(ann, x)), [1, 1, 1]);
  });

  it('waitlist: joined with the real position, an offer with its deadline, declined', async () => {
    const e = await eventOnSale(app, admin, { capacity: 1, timezone: 'Europe/Paris' });
    const a = await hold('ann', e.id, 1);
    assert.equal((await call(app, 'POST', '/api/v1/waitlist', { token: users.ben!.access_token, body: { event_id: e.id, quantity: 1 } })).status, 201);
    const joined = await call(app, 'POST', '/api/v1/waitlist', { token: users.cat!.access_token, body: { event_id: e.id, quantity: 1 } });
    assert.equal(joined.status, 201);
    assert.match((await mailOf('cat', 'waitlist_joined')).find((m) => m.text.includes(e.title))!.text, /You are number 2 in line for 1 ticket/);

    await put('ann', `${BOOKINGS}/${a.id}/cancel`);
    const offer = (await mailOf('ben', 'waitlist_offer'))[0]!;
    assert.match(offer.text, /Accept the offer before .* CET/);
    const entry = (await call(app, 'GET', `/api/v1/waitlist?event_id=${e.id}`, { token: users.ben!.access_token })).body.items[0];
    await put('ben', `/api/v1/waitlist/${entry.id}/cancel`);
    assert.match((await mailOf('ben', 'waitlist_cancelled'))[0]!.text, /Your place in line for .* is cancelled/);
    // The seats pass on to cat.
    await mailOf('cat', 'waitlist_offer');
  });

  it('a change of time or place mails every live attendee once; the cancellation mails each attendee once', async () => {
    const e = await eventOnSale(app, admin, { capacity: 4, max_per_booking: 1, max_per_user: 3 });
    await hold('ann', e.id);
    await hold('ann', e.id);
    const ben = await hold('ben', e.id);
    await put('ben', `${BOOKINGS}/${ben.id}/cancel`);
    await hold('cat', e.id);
    await hold('cat', e.id);
    // Sold out: ben waits in line.
    assert.equal((await call(app, 'POST', '/api/v1/waitlist', { token: users.ben!.access_token, body: { event_id: e.id, quantity: 1 } })).status, 201);
    await mailOf('ben', 'waitlist_joined', 2);

    const moved = await call(app, 'PATCH', `${ADMIN_EVENTS}/${e.id}`, { token: admin, body: { venue: 'O2 Arena' } });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const [changed] = await mailOf('ann', 'event_changed');
    assert.match(changed!.text, /The place of an event you booked changed\. It is now: .*O2 Arena/);
    await mailOf('cat', 'event_changed');

    const cancelled = await call(app, 'POST', `${ADMIN_EVENTS}/${e.id}/cancel`, { token: admin, body: { reason: 'flooded' } });
    assert.equal(cancelled.status, 200);
    for (const who of ['ann', 'ben', 'cat']) assert.match((await mailOf(who, 'event_cancelled'))[0]!.text, /is cancelled\. .*Reason given: flooded/s);
    await new Promise((r) => setTimeout(r, 500));
    const about = (m: Mail) => m.text.includes(e.title);
    for (const who of ['ann', 'ben', 'cat']) {
      const mails = (await mailbox(who)).filter(about);
      assert.equal(mails.filter((m) => m.template === 'event_cancelled').length, 1, `${who}: one cancellation mail`);
      assert.equal(mails.filter((m) => ['booking_cancelled', 'booking_refunded', 'waitlist_cancelled'].includes(m.template) && !m.text.includes('Nothing was charged.\n\n— ')).length,
        0, `${who}: no mail per booking for the cascade`);
    }
    assert.equal((await mailbox('ben')).filter((m) => m.template === 'event_changed' && about(m)).length, 0, 'ben had no live booking when it moved');
  });
});
