/**
 * `npm run screenshots`: pictures of the web app's pages at desktop and phone width, for the README
 * (docs/screenshots/<page>-desktop.png and -phone.png). Starts Evently on a scratch database
 * (DATABASE_URL's server, or an embedded PostgreSQL), fills it with a few events and bookings, and
 * drives Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { createLogger, startEmbeddedPostgres } from '../src/kernel/index.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, PASSWORD, call, login, signUp } from '../test/support/auth.js';
import { book, eventOnSale } from '../test/support/bookings.js';
import { DESKTOP, PHONE, launchBrowser } from '../test/support/browser.js';
import { createTestDatabase } from '../test/support/db.js';
import { startTestEvently } from '../test/support/evently.js';

const out = path.resolve(import.meta.dirname, '../docs/screenshots');
mkdirSync(out, { recursive: true });

let adminUrl = process.env.DATABASE_URL;
let stopEmbedded: (() => Promise<void>) | undefined;
const scratch = mkdtempSync(path.join(tmpdir(), 'evently-shots-'));
if (!adminUrl) {
  const pg = await startEmbeddedPostgres({ dataDir: scratch, logger: createLogger({ level: 'warn', service: 'screenshots' }), database: 'postgres' });
  adminUrl = pg.url;
  stopEmbedded = () => pg.stop();
}
const database = await createTestDatabase(adminUrl);
const t = await startTestEvently({ database, listen: true, env: { ...ADMIN_ENV, EVENTLY_DEV_MAILBOX: 'true' } });
const browser = await launchBrowser();
try {
  const app = t.evently.app;
  const base = t.evently.url!;
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const day = (n: number) => new Date(Date.now() + n * 86_400_000);
  const at = (n: number, hour: number) => new Date(Date.UTC(day(n).getUTCFullYear(), day(n).getUTCMonth(), day(n).getUTCDate(), hour)).toISOString();
  const concert = await eventOnSale(app, admin, {
    title: 'Harbour Lights: Strings by the Water', venue: 'Quay Hall, Lisbon', timezone: 'Europe/Lisbon', category: 'music', capacity: 120,
    price: '18.50', currency: 'EUR', max_per_booking: 6, starts_at: at(12, 19), ends_at: at(12, 21),
    description: 'A string quartet plays Haydn, Glass and Fado arrangements as the sun goes down over the Tagus.\nDoors open at 18:30.',
  });
  await eventOnSale(app, admin, { title: 'Rust for TypeScript Developers', venue: 'Tech Hub, Berlin', timezone: 'Europe/Berlin', category: 'workshop', capacity: 30, price: '95.00', currency: 'EUR', starts_at: at(20, 8), ends_at: at(20, 16) });
  await eventOnSale(app, admin, { title: 'Midnight Comedy Club', venue: 'The Cellar, London', timezone: 'Europe/London', category: 'comedy', capacity: 60, price: '12.00', currency: 'GBP', starts_at: at(5, 21), ends_at: at(5, 23) });
  await eventOnSale(app, admin, { title: 'Open-Air Cinema: Classics', venue: 'Parc de la Villette, Paris', timezone: 'Europe/Paris', category: 'film', capacity: 400, price: '0', currency: 'EUR', starts_at: at(30, 20), ends_at: at(30, 22) });
  const email = `ana-${Date.now()}@example.com`;
  const ana = await signUp(app, email, { username: 'ana' });
  const confirmed = await book(app, ana.access_token, concert.id, 2);
  await call(app, 'PUT', `/api/v1/bookings/${confirmed.body.id}/confirm`, { token: ana.access_token });
  const held = await book(app, ana.access_token, concert.id, 3);
  for (let i = 0; i < 6; i++) {
    const u = await signUp(app, `guest-${i}-${Date.now()}@example.com`);
    const b = await book(app, u.access_token, concert.id, 1 + (i % 3));
    if (i % 2 === 0) await call(app, 'PUT', `/api/v1/bookings/${b.body.id}/confirm`, { token: u.access_token });
  }
  await new Promise((r) => setTimeout(r, 1500)); // analytics and the seat counts catch up

  const signIn = async (context: BrowserContext, who: string, password: string) => {
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel('Email').fill(who);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.close();
  };
  const pages: [string, string, 'visitor' | 'attendee' | 'admin'][] = [
    ['home', '/', 'visitor'],
    ['event', `/events/${concert.id}`, 'attendee'],
    ['sign-up', '/signup', 'visitor'],
    ['booking-hold', `/bookings/${held.body.id}`, 'attendee'],
    ['my-bookings', '/bookings', 'attendee'],
    ['admin-dashboard', '/admin', 'admin'],
    ['admin-events', '/admin/events', 'admin'],
    ['admin-event', `/admin/events/${concert.id}`, 'admin'],
  ];
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    const contexts = {
      visitor: await browser.newContext({ viewport, deviceScaleFactor: 1 }),
      attendee: await browser.newContext({ viewport, deviceScaleFactor: 1 }),
      admin: await browser.newContext({ viewport, deviceScaleFactor: 1 }),
    };
    await signIn(contexts.attendee, email, PASSWORD);
    await signIn(contexts.admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    for (const [name, url, who] of pages) {
      const page = await contexts[who].newPage();
      await page.goto(new URL(url, base).toString());
      await page.waitForTimeout(300); // the live count and the countdown have drawn
      const file = path.join(out, `${name}-${size}.png`);
      await page.screenshot({ path: file, fullPage: size === 'desktop' });
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
      await page.close();
    }
    for (const c of Object.values(contexts)) await c.close();
  }
} finally {
  await browser.close();
  await t.close();
  await database.drop();
  await stopEmbedded?.();
  rmSync(scratch, { recursive: true, force: true });
}
