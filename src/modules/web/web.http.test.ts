/**
 * The web app's safety over real requests through the real app (no browser needed): cookie flags,
 * CSRF, sign-in redirects that stay on this site, a user never reaching another's booking, bad form
 * values answered as pages, and event pages that are whole without JavaScript.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, PASSWORD, login, signUp } from '../../../test/support/auth.js';
import { book, eventOnSale } from '../../../test/support/bookings.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import type { App } from '../../kernel/index.js';

/** A browser's cookie jar over app.inject. */
class Browser {
  cookies = new Map<string, string>();
  constructor(private app: App) {}
  async go(method: 'GET' | 'POST', url: string, form?: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await this.app.inject({
      method, url,
      headers: {
        accept: 'text/html', ...headers,
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const c of res.cookies as { name: string; value: string; maxAge?: number }[]) {
      if (c.value === '' || c.maxAge === 0) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }
  /** The CSRF token of the form on this page. */
  async csrf(url = '/login'): Promise<string> {
    const page = await this.go('GET', url);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
    assert.ok(token, `a CSRF token on ${url}`);
    return token;
  }
  async signIn(email: string, password = PASSWORD, next = '/') {
    return this.go('POST', '/login', { _csrf: await this.csrf(), email, password, next });
  }
}

describe('web app: sessions, CSRF and access', () => {
  let t: TestEvently;
  let app: App;
  let event: { id: string };
  let alice: { email: string; access_token: string };
  let bobEmail: string;
  before(async () => {
    t = await startTestEvently({ env: ADMIN_ENV });
    app = t.evently.app;
    const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
    event = (await eventOnSale(app, admin, { title: 'Opening </script><script>alert(1)</script>', description: 'A "quoted" <b>night</b>', capacity: 8 })) as { id: string };
    const a = `alice-${Date.now()}@example.com`;
    alice = { email: a, access_token: (await signUp(app, a)).access_token };
    bobEmail = `bob-${Date.now()}@example.com`;
    await signUp(app, bobEmail);
  }, { timeout: 60_000 });
  after(() => t?.close());

  it('signing in sets httpOnly SameSite=Lax cookies (no token in the page) and returns only to a path of this site', async () => {
    const b = new Browser(app);
    const res = await b.signIn(alice.email, PASSWORD, '//evil.example/phish');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/', 'a next that leaves the site goes home');
    const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    for (const name of ['evently_at', 'evently_rt']) {
      const c = set.find((s) => s.startsWith(`${name}=`));
      assert.ok(c, `${name} is set`);
      assert.match(c, /; HttpOnly/i);
      assert.match(c, /; SameSite=Lax/i);
      assert.match(c, /; Path=\//);
    }
    const home = await b.go('GET', '/');
    assert.ok(!home.body.includes(b.cookies.get('evently_at')!), 'the access token is never written into a page');
    const good = await new Browser(app).signIn(alice.email, PASSWORD, '/bookings?page=1');
    assert.equal(good.headers.location, '/bookings?page=1');
  });

  it('a form without the CSRF token of its own browser is refused (403 page) and changes nothing', async () => {
    const b = new Browser(app);
    await b.signIn(alice.email);
    const before = await book(app, alice.access_token, event.id, 1);
    assert.equal(before.status, 201);
    const none = await b.go('POST', `/bookings/${before.body.id}/cancel`, {});
    assert.equal(none.statusCode, 400, 'no token at all: a bad form');
    const foreign = await b.go('POST', `/bookings/${before.body.id}/cancel`, { _csrf: await new Browser(app).csrf() });
    assert.equal(foreign.statusCode, 403, 'a token minted for another browser');
    assert.match(foreign.body, /The form has expired/);
    assert.match(String(foreign.headers['content-type']), /text\/html/);
    const still = await app.inject({ method: 'GET', url: `/api/v1/bookings/${before.body.id}`, headers: { authorization: `Bearer ${alice.access_token}` } });
    assert.equal(still.json().status, 'pending', 'nothing was cancelled');
    const ok = await b.go('POST', `/bookings/${before.body.id}/cancel`, { _csrf: await b.csrf(`/bookings/${before.body.id}`) });
    assert.equal(ok.statusCode, 303);
  });

  it("another user's booking is not found, and cannot be cancelled", async () => {
    const held = await book(app, alice.access_token, event.id, 1);
    const bob = new Browser(app);
    await bob.signIn(bobEmail);
    const page = await bob.go('GET', `/bookings/${held.body.id}`);
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /Page not found/);
    const cancel = await bob.go('POST', `/bookings/${held.body.id}/cancel`, { _csrf: await bob.csrf('/bookings') });
    assert.equal(cancel.statusCode, 404);
    const still = await app.inject({ method: 'GET', url: `/api/v1/bookings/${held.body.id}`, headers: { authorization: `Bearer ${alice.access_token}` } });
    assert.equal(still.json().status, 'pending');
  });

  it('signed-out visitors are sent to sign in and back; signing out ends the session at the API too', async () => {
    const visitor = new Browser(app);
    const res = await visitor.go('GET', '/bookings');
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/login?next=%2Fbookings');
    const login = await visitor.go('GET', '/login?done=signed-out');
    assert.match(login.body, /<a href="\/login">Sign in<\/a>/, 'the sign-in link of the sign-in page does not come back to it');
    const stale = await visitor.go('POST', `/events/${event.id}/book`, { _csrf: await visitor.csrf('/login'), quantity: '1', idempotency_key: 'stale-tab-1' },
      { referer: `http://localhost:80/events/${event.id}` });
    assert.equal(stale.headers.location, `/login?next=${encodeURIComponent(`/events/${event.id}`)}`, 'a form sent signed out comes back to its page after signing in');
    const b = new Browser(app);
    await b.signIn(alice.email);
    const token = b.cookies.get('evently_at')!;
    const out = await b.go('POST', '/logout', { _csrf: await b.csrf('/') });
    assert.equal(out.statusCode, 303);
    assert.equal(b.cookies.has('evently_at'), false);
    const me = await app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
    assert.equal(me.statusCode, 401, 'the old access token is revoked');
  });

  it('bad form values get a 4xx page, never a 500', async () => {
    const b = new Browser(app);
    await b.signIn(alice.email);
    const csrf = await b.csrf(`/events/${event.id}`);
    const bad = await b.go('POST', `/events/${event.id}/book`, { _csrf: csrf, quantity: 'lots', idempotency_key: 'abcdefgh-1' });
    assert.equal(bad.statusCode, 400);
    assert.match(String(bad.headers['content-type']), /text\/html/);
    const forged = await b.go('POST', `/events/${event.id}/book`, { _csrf: csrf, quantity: '1', idempotency_key: 'abcdefgh-3', user_id: alice.email });
    assert.equal(forged.statusCode, 400, 'a field no form has');
    const tooMany = await b.go('POST', `/events/${event.id}/book`, { _csrf: csrf, quantity: '999', idempotency_key: 'abcdefgh-2' });
    assert.ok(tooMany.statusCode >= 400 && tooMany.statusCode < 500, `${tooMany.statusCode}`);
    const notAnId = await b.go('GET', '/events/not-an-id');
    assert.equal(notAnId.statusCode, 404);
    const api404 = await b.go('GET', '/api/v1/nothing-here');
    assert.equal(api404.statusCode, 404);
    assert.equal(api404.json().error.code, 'NOT_FOUND', 'API paths keep the JSON envelope');
  });

  it('a form sent twice books once (its idempotency key)', async () => {
    const b = new Browser(app);
    await b.signIn(bobEmail);
    const csrf = await b.csrf(`/events/${event.id}`);
    const form = { _csrf: csrf, quantity: '1', idempotency_key: `twice-${Date.now()}` };
    const [one, two] = [await b.go('POST', `/events/${event.id}/book`, form), await b.go('POST', `/events/${event.id}/book`, form)];
    assert.equal(one.statusCode, 303);
    assert.equal(two.headers.location, one.headers.location);
  });

  it('two pages loaded at once with an expired access token refresh once: the session survives', async () => {
    const b = new Browser(app);
    await b.signIn(alice.email);
    b.cookies.delete('evently_at'); // the browser dropped it: its max-age ran out
    const pages = await Promise.all([b.go('GET', '/bookings'), b.go('GET', '/waitlist'), b.go('GET', '/')]);
    assert.deepEqual(pages.map((p) => p.statusCode), [200, 200, 200], 'each page signed in');
    assert.ok(b.cookies.has('evently_at') && b.cookies.has('evently_rt'), 'the new tokens kept');
    const later = await b.go('GET', '/bookings');
    assert.equal(later.statusCode, 200, 'the session was not revoked as a reused refresh token');
  });

  it('odd values in links and forms are 4xx pages, never a 500; a notice shows only for a known code', async () => {
    const b = new Browser(app);
    await b.signIn(alice.email);
    for (const url of ['/?page=1e309', '/bookings?page=-1', '/?done=constructor&q=100%25', `/events/${event.id}?done=__proto__`]) {
      const res = await b.go('GET', url);
      assert.ok(res.statusCode < 500, `${url}: ${res.statusCode}`);
      assert.doesNotMatch(res.body, /<p class="notice" role="status"><\/p>/, `${url}: no empty notice`);
    }
    const csrf = await b.csrf(`/events/${event.id}`);
    for (const key of ['ключ-ключ-ключ', 'abc\r\nx-evil: 1', 'short']) {
      const res = await b.go('POST', `/events/${event.id}/book`, { _csrf: csrf, quantity: '1', idempotency_key: key });
      assert.equal(res.statusCode, 400, `idempotency key ${JSON.stringify(key)}`);
    }
    const host = await app.inject({ method: 'GET', url: `/events/${event.id}`, headers: { host: '[', accept: 'text/html' } });
    assert.equal(host.statusCode, 200, 'a Host that is no host');
  });

  it('the event page is whole without JavaScript: details, seats, Open Graph and schema.org data, with user text escaped', async () => {
    const res = await new Browser(app).go('GET', `/events/${event.id}`, undefined, { host: 'tickets.example.org' });
    assert.equal(res.statusCode, 200);
    const html = res.body;
    assert.ok(!html.includes('<script>alert(1)</script>'), 'no markup from the title');
    assert.match(html, /<meta property="og:title" content="Opening &lt;\/script>&lt;script>alert\(1\)&lt;\/script>"/);
    assert.match(html, /<link rel="canonical" href="http:\/\/tickets\.example\.org\/events\//);
    const ld = /<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)?.[1];
    assert.ok(ld, 'JSON-LD present');
    const data = JSON.parse(ld);
    assert.equal(data['@type'], 'Event');
    assert.equal(data.name, 'Opening </script><script>alert(1)</script>');
    assert.equal(data.offers.priceCurrency, 'USD');
    assert.match(html, /<strong data-available="true">\d+<\/strong> of <span data-total="true">8<\/span> seats available/);
  });
});
