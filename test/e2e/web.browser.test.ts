/**
 * The web app in a real Chromium over real HTTP (SPEC §9): a visitor finds an event by search, signs
 * up with the code from the dev mailbox, books two seats and sees the hold count down, while a second
 * browser's event page drops by two without a reload; confirms, cancels. Every page passes axe-core
 * and fits a desktop and a phone window.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NEW_PASSWORD, PASSWORD, call, eventually, login, otpFor, signUp } from '../support/auth.js';
import { book, eventOnSale } from '../support/bookings.js';
import { DESKTOP, PHONE, assertPageOk, launchBrowser, skipWithoutBrowser } from '../support/browser.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';

describe('web app in Chromium', { skip: skipWithoutBrowser() }, () => {
  let t: TestEvently;
  let browser: Browser;
  let base: string;
  let event: { id: string; title: string };
  let poetry: { id: string; title: string };
  let admin: string;
  const email = `web-${Date.now()}@example.com`;
  const username = `web${Date.now() % 1_000_000}`;
  let bookingUrl = '';

  before(async () => {
    t = await startTestEvently({ listen: true, env: { ...ADMIN_ENV, EVENTLY_DEV_MAILBOX: 'true' } });
    base = t.evently.url!;
    admin = (await login(t.evently.app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    const e = await eventOnSale(t.evently.app, admin, { title: 'Harbour Lights Concert', venue: 'Quay Hall, Lisbon', timezone: 'Europe/Lisbon', capacity: 10, max_per_booking: 4, price: '18.50', currency: 'EUR', description: 'Strings by the water.' });
    event = { id: e.id, title: e.title };
    const p = await eventOnSale(t.evently.app, admin, { title: 'Quiet Poetry Evening', capacity: 3, max_per_booking: 3 });
    poetry = { id: p.id, title: p.title };
    browser = await launchBrowser();
  }, { timeout: 120_000 });
  after(async () => {
    await browser?.close();
    await t?.close();
  }, { timeout: 60_000 });

  const open = async (context: BrowserContext, path: string): Promise<Page> => {
    const page = await context.newPage();
    await page.goto(new URL(path, base).toString());
    return page;
  };

  it('a visitor finds the event by search, signs up with the emailed code, books two seats, watches the hold run, confirms and cancels; a second browser sees the count drop live', { timeout: 180_000 }, async () => {
    const visitor = await browser.newContext({ viewport: DESKTOP });
    const other = await browser.newContext({ viewport: DESKTOP });
    const page = await open(visitor, '/');
    await assertPageOk(page, 'home');

    await page.getByLabel('Search', { exact: true }).fill('harbour');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\?q=harbour/);
    assert.equal(await page.locator('.card').count(), 1, 'one event matches');
    await page.getByRole('link', { name: event.title }).click();
    await page.waitForURL(`**/events/${event.id}`);
    await assertPageOk(page, 'event page, signed out');
    assert.equal(await page.locator('[data-available]').textContent(), '10');

    await page.getByRole('link', { name: 'Sign up' }).click();
    await assertPageOk(page, 'sign-up');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/verify\?/);
    await assertPageOk(page, 'verify');
    await page.getByLabel('Code').fill(await otpFor(t.evently.app, email));
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.waitForURL(/\/\?done=welcome/);
    assert.equal(await page.locator('.who').textContent(), username);

    // The second browser watches the event page; the count is live over Server-Sent Events.
    const watcher = await open(other, `/events/${event.id}`);
    await watcher.waitForFunction(() => document.querySelector('[data-live-event]')?.getAttribute('data-version') !== null);

    await page.goto(`${base}/events/${event.id}`);
    await assertPageOk(page, 'event page, signed in');
    await page.getByLabel('Number of seats').selectOption('2');
    await page.getByRole('button', { name: 'Book' }).click();
    await page.waitForURL(/\/bookings\/[0-9a-f-]+\?done=held/);
    bookingUrl = page.url().replace(/\?.*$/, '');
    await assertPageOk(page, 'booking on hold');
    const countdown = page.locator('[data-countdown]');
    await page.waitForFunction(() => /^\d+:\d\d left$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''));
    const first = await countdown.textContent();
    await page.waitForFunction((was) => document.querySelector('[data-countdown]')?.textContent !== was, first, { timeout: 5_000 });
    assert.match((await countdown.textContent())!, /^\d+:\d\d left$/, 'the hold counts down');

    await watcher.waitForFunction(() => document.querySelector('[data-available]')?.textContent === '8', undefined, { timeout: 15_000 });
    assert.equal(await watcher.locator('[data-available]').textContent(), '8', 'the other browser sees two seats fewer, without a reload');

    await page.getByRole('button', { name: /Pay .* and confirm/ }).click();
    await page.waitForURL(/\?done=confirmed/);
    assert.match((await page.getByRole('status').textContent())!, /Booking confirmed/);
    assert.equal(await page.locator('[data-booking-status]').textContent(), 'Confirmed');
    await assertPageOk(page, 'confirmed booking');

    await page.getByRole('button', { name: 'Cancel and refund' }).click();
    await page.waitForURL(/\?done=cancelled/);
    assert.equal(await page.locator('[data-booking-status]').textContent(), 'Refunded');
    await watcher.waitForFunction(() => document.querySelector('[data-available]')?.textContent === '10', undefined, { timeout: 15_000 });

    await page.getByRole('link', { name: 'My bookings', exact: true }).click();
    await page.waitForURL(/\/bookings$/);
    assert.match((await page.locator('table.list').textContent())!, new RegExp(`${event.title}.*Refunded`));
    await assertPageOk(page, 'my bookings');
    await page.getByRole('link', { name: 'My waitlist', exact: true }).click();
    await assertPageOk(page, 'my waitlist');
    await visitor.close();
    await other.close();
  });

  const signIn = async (context: BrowserContext, who: string, password: string): Promise<Page> => {
    const page = await open(context, '/login');
    await page.getByLabel('Email').fill(who);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    return page;
  };

  it('a sold-out event: the visitor joins the waitlist, sees the place in line, and accepts the offer when seats come back', { timeout: 120_000 }, async () => {
    const buyer = await signUp(t.evently.app, `buyer-${Date.now()}@example.com`);
    const all = await book(t.evently.app, buyer.access_token, poetry.id, 3);
    assert.equal(all.status, 201);
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await signIn(context, email, PASSWORD);
    await page.goto(`${base}/events/${poetry.id}`);
    assert.equal(await page.locator('[data-available]').textContent(), '0');
    await page.getByLabel('Number of seats').selectOption('1');
    await page.getByRole('button', { name: 'Join the waitlist' }).click();
    await page.waitForURL(/\/waitlist\?done=joined/);
    assert.match((await page.locator('.card').textContent())!, /Waiting · number 1 in line/);
    await assertPageOk(page, 'my waitlist, waiting');

    // The buyer gives the seats back: the line's head is offered its seat before anyone else.
    await call(t.evently.app, 'PUT', `/api/v1/bookings/${all.body.id}/cancel`, { token: buyer.access_token, body: {} });
    await eventually(async () => {
      await page.reload();
      return /Seats offered to you/.test((await page.locator('.card').textContent()) ?? '') || undefined;
    }, 'the offer to show');
    await page.waitForFunction(() => /^\d+:\d\d left$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''));
    await assertPageOk(page, 'my waitlist, offered');
    await page.getByRole('button', { name: 'Accept the seats' }).click();
    await page.waitForURL(/\/bookings\/[0-9a-f-]+\?done=held/);
    assert.equal(await page.locator('[data-booking-status]').textContent(), 'Held, awaiting payment');
    await context.close();
  });

  it('an organiser creates and publishes an event in the pages, and sees its booking on the dashboard', { timeout: 180_000 }, async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await signIn(context, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto(`${base}/admin/events/new`);
    await assertPageOk(page, 'new event');
    await page.getByLabel('Title', { exact: true }).fill('Organiser Test Gala');
    await page.getByLabel('Venue', { exact: true }).fill('Grand Hall, Porto');
    await page.getByLabel('Category', { exact: true }).fill('gala');
    await page.getByLabel('Capacity (seats)', { exact: true }).fill('50');
    await page.getByLabel('Price per seat', { exact: true }).fill('30');
    await page.getByLabel('Currency', { exact: true }).fill('EUR');
    await page.getByLabel('Starts', { exact: true }).fill(`${new Date().getUTCFullYear() + 1}-05-01T19:30`);
    await page.getByLabel('Most seats in one booking', { exact: true }).fill('4');
    await page.getByLabel('Most seats per attendee', { exact: true }).fill('6');
    await page.getByLabel('Description', { exact: true }).fill('Black tie, live band.');
    await page.getByRole('button', { name: 'Create the draft' }).click();
    await page.waitForURL(/\/admin\/events\/[0-9a-f-]+\?done=created/);
    const id = /events\/([0-9a-f-]+)/.exec(page.url())![1]!;
    await assertPageOk(page, 'a draft event');
    const draft = await call(t.evently.app, 'GET', `/api/v1/events/${id}`, { token: admin });
    assert.deepEqual([draft.body.max_per_booking, draft.body.max_per_user, draft.body.timezone], [4, 6, 'Europe/London'], 'the form as typed');
    await page.getByRole('button', { name: 'Publish: put it on sale' }).click();
    await page.waitForURL(/done=published/);

    // An attendee books and pays; the organiser sees it among the top events of the dashboard.
    const attendee = (await login(t.evently.app, email)).access_token;
    await eventually(async () => ((await book(t.evently.app, attendee, id, 2)).body?.id as string | undefined), 'the event on sale')
      .then((booking) => call(t.evently.app, 'PUT', `/api/v1/bookings/${booking}/confirm`, { token: attendee }));
    await eventually(async () => {
      await page.goto(`${base}/admin`);
      const row = page.getByRole('row', { name: /Organiser Test Gala/ });
      return (await row.count()) > 0 && /Organiser Test Gala\s*1\s*2/.test((await row.textContent()) ?? '') ? true : undefined;
    }, 'the booking on the dashboard', 30_000);
    await assertPageOk(page, 'dashboard');
    for (const path of ['/admin/events', `/admin/events/${id}`, '/admin/bookings', '/admin/audit', `/admin/waitlist?event_id=${poetry.id}`, '/admin/users']) {
      await page.goto(new URL(path, base).toString());
      await assertPageOk(page, path);
    }
    assert.match((await (await context.request.get(`${base}/admin/export/top-events`)).text()), /Organiser Test Gala/, 'the CSV download');
    await context.close();

    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    const small = await signIn(phone, ADMIN_EMAIL, ADMIN_PASSWORD);
    for (const path of ['/admin', '/admin/events', `/admin/events/${id}`, '/admin/events/new', '/admin/bookings', '/admin/audit', `/admin/waitlist?event_id=${poetry.id}`, '/admin/users']) {
      await small.goto(new URL(path, base).toString());
      await assertPageOk(small, `${path} on a phone`);
    }
    await phone.close();
  });

  it('a forgotten password is reset in the pages with the emailed code, and the new one signs in', { timeout: 60_000 }, async () => {
    const who = `reset-${Date.now()}@example.com`;
    await signUp(t.evently.app, who);
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await open(context, '/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(who);
    await page.getByRole('button', { name: 'Email me a code' }).click();
    await page.waitForURL(/\/reset\?/);
    await assertPageOk(page, 'reset');
    await page.getByLabel('Code').fill(await otpFor(t.evently.app, who, { subject: /reset/i }));
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.waitForURL(/\/login\?.*done=reset/);
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await context.close();
  });

  it('every attendee page passes the accessibility check at phone width', { timeout: 120_000 }, async () => {
    const phone = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
    for (const path of ['/', `/events/${event.id}`, '/login', '/signup', `/verify?email=${encodeURIComponent(email)}`, '/forgot', `/reset?email=${encodeURIComponent(email)}`, '/no-such-page-here']) {
      const page = await open(phone, path);
      await assertPageOk(page, `${path} on a phone`);
      await page.close();
    }
    const page = await signIn(phone, email, PASSWORD);
    for (const path of ['/bookings', bookingUrl, '/waitlist', `/events/${event.id}`]) {
      await page.goto(new URL(path, base).toString());
      await assertPageOk(page, `${path} on a phone, signed in`);
    }
    await phone.close();
  });
});
