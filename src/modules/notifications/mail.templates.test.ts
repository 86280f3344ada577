import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, renderMail, TemplateDataError, TEMPLATES } from './mail.templates.js';

const CODE = { otp: '042917', valid_minutes: 10, expires_at: '2030-01-01T10:10:00.000Z' };
const EVIL = '<script>alert("pwned")</script> & \'friends\'';
/** What the booking, waitlist and event mails need, every user value hostile. */
const BOOKING = {
  event_id: '01a22c1a-f9ea-753f-9a99-24436bf71473', booking_id: '01a22c1a-f9ea-753f-9a99-24436bf71474', entry_id: '01a22c1a-f9ea-753f-9a99-24436bf71475',
  reference: 'BK-20300101-ABCDEFGH', quantity: 2, amount: '50.00', currency: 'EUR', pay_before: '2030-01-01T10:15:00.000Z',
  position: 3, offer_expires_at: '2030-01-01T10:30:00.000Z', reason: EVIL, schedule_changed: true, venue_changed: false,
};
const EVENT = { event_id: BOOKING.event_id, title: EVIL, venue: EVIL, starts_at: new Date('2030-02-01T19:00:00Z'), ends_at: null, timezone: 'Europe/Paris', status: 'published' };

describe('mail templates', () => {
  it('escapeHtml escapes the five HTML-significant characters', () => {
    assert.equal(escapeHtml(`<a href="x" onclick='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });

  for (const template of TEMPLATES) {
    it(`${template}: subject, text and HTML parts; a <script> full name is escaped in the HTML part`, () => {
      const mail = renderMail(template, { name: EVIL, data: { ...CODE, ...BOOKING }, event: EVENT });
      assert.ok(mail.subject.length > 0 && !mail.subject.includes('script'), 'no user data in the subject');
      assert.ok(mail.text.startsWith(`Hi ${EVIL},`), 'the text part shows the name as typed');
      assert.ok(mail.html.includes('Hi &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;friends&#39;,'), mail.html);
      assert.ok(!/<script/i.test(mail.html) && !mail.html.includes('"pwned"'));
      assert.match(mail.html, /^<!doctype html>/);
    });
  }

  it('code mails carry the 6 digits and their validity in both parts', () => {
    for (const template of ['verify_email', 'password_reset'] as const) {
      const mail = renderMail(template, { name: null, data: CODE });
      assert.ok(mail.text.startsWith('Hi,\n'));
      assert.match(mail.text, /: 042917\n/);
      assert.match(mail.text, /valid for 10 minutes \(until 2030-01-01T10:10:00.000Z\)/);
      assert.ok(mail.html.includes('>042917</p>'));
    }
  });

  it('booking mails show the event in its own zone; one without its event cannot be rendered', () => {
    const mail = renderMail('booking_held', { name: null, data: BOOKING, event: EVENT });
    assert.match(mail.text, /Friday, 1 February 2030 at 20:00 CET/);
    assert.match(mail.text, /Pay before Tuesday, 1 January 2030 at 11:15 CET/);
    assert.throws(() => renderMail('booking_held', { name: null, data: BOOKING }), TemplateDataError);
  });

  it('a code mail without its code cannot be rendered (a permanent failure, not a blank code)', () => {
    assert.throws(() => renderMail('verify_email', { name: 'Ann', data: { valid_minutes: 10, expires_at: CODE.expires_at } }), TemplateDataError);
  });
});
