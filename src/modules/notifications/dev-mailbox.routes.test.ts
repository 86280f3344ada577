import type { MailConfig } from './mail.settings.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase } from '../../../test/support/db.js';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { waitFor } from '../../../test/support/outbox-probe.js';
import { newId } from '../../kernel/index.js';
import { storeDevMail } from './dev-mailbox.repository.js';
import { emitAuthEvent } from './notifications.testkit.js';

describe('GET /dev/mailbox with the dev mailbox on (no SMTP)', () => {
  let t: TestEvently;
  before(async () => {
    t = await startTestEvently({ env: { OUTBOX_POLL_MS: '50' } });
  });
  after(() => t?.close());
  const get = (query = '') => t.evently.app.inject({ method: 'GET', url: `/dev/mailbox${query}` });

  it('is on by default outside production without SMTP: an OTP lands there', async () => {
    assert.equal((t.config.slices.notifications as MailConfig).devMailbox, true);
    const email = `solo-${newId().slice(-8)}@example.com`;
    const expires_at = new Date(Date.now() + 600_000).toISOString();
    await emitAuthEvent(t, 'auth.password_reset.requested', { user_id: newId(), email, otp: '123456', expires_at });
    await waitFor(async () => (await get(`?to=${email}`)).json().items.length === 1, 10_000, 'the reset mail');
    const [mail] = (await get(`?to=${email}`)).json().items;
    assert.equal(mail.template, 'password_reset');
    assert.equal(mail.subject, 'Reset your Evently password');
    assert.match(mail.text, /reset your password: 123456\n/);
  });

  it('lists newest first, filters by recipient (case-insensitive) and bounds the page', async () => {
    const db = t.evently.database.db;
    const a = `a-${newId().slice(-8)}@example.com`;
    const b = `b-${newId().slice(-8)}@example.com`;
    for (const [to, subject] of [[a, 'first'], [b, 'second'], [a, 'third']] as const) {
      await storeDevMail(db, { to, subject, text: subject, html: `<p>${subject}</p>`, template: 'welcome' });
    }
    const onlyA = await get(`?to=${encodeURIComponent(a.toUpperCase())}`);
    assert.equal(onlyA.statusCode, 200);
    assert.deepEqual(onlyA.json().items.map((m: { subject: string }) => m.subject), ['third', 'first']);
    const item = onlyA.json().items[0];
    assert.deepEqual(Object.keys(item).sort(), ['attachments', 'created_at', 'html', 'id', 'subject', 'template', 'text', 'to']);
    assert.ok(!Number.isNaN(Date.parse(item.created_at)));

    const newest = await get('?limit=1');
    assert.deepEqual(newest.json().items.map((m: { subject: string }) => m.subject), ['third']);
    assert.ok((await get()).json().items.length <= 20, 'a default page size');

    for (const bad of ['?limit=101', '?limit=0', '?limit=x', '?to=', '?from=a@b.c']) {
      const res = await get(bad);
      assert.equal(res.statusCode, 400, bad);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED', bad);
    }
  });

  it('is in the OpenAPI document with its response schema', async () => {
    const doc = (await t.evently.app.inject({ method: 'GET', url: '/docs/json' })).json();
    assert.ok(doc.paths['/dev/mailbox']?.get?.responses?.['200']);
  });
});

describe('GET /dev/mailbox with the dev mailbox off', () => {
  it('does not exist', async () => {
    const t = await startTestEvently({ env: { EVENTLY_DEV_MAILBOX: 'false', SMTP_URL: 'smtp://127.0.0.1:9' } });
    try {
      const res = await t.evently.app.inject({ method: 'GET', url: '/dev/mailbox' });
      assert.equal(res.statusCode, 404);
    } finally {
      await t.close();
    }
  });

  it('with neither SMTP nor the dev mailbox, the worker refuses to start', async () => {
    const database = await createTestDatabase();
    try {
      await assert.rejects(startTestEvently({ database, env: { EVENTLY_DEV_MAILBOX: 'false' } }), /mail has nowhere to go: set SMTP_URL/);
    } finally {
      await database.drop();
    }
  });
});
