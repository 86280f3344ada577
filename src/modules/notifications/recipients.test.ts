import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { startTestEvently, type TestEvently } from '../../../test/support/evently.js';
import { waitFor } from '../../../test/support/outbox-probe.js';
import { newId, type DomainEvent } from '../../kernel/index.js';
import type { AuthEventType } from '../../contracts/auth.js';
import { emitAuthEvent } from './notifications.testkit.js';
import { recipientsConsumer } from './recipients.consumer.js';

interface Row {
  email: string | null;
  username: string | null;
  name: string | null;
  deleted: boolean;
}

describe('recipients: the projection of auth users', () => {
  let t: TestEvently;
  before(async () => {
    t = await startTestEvently({ env: { OUTBOX_POLL_MS: '50' } });
  });
  after(() => t?.close());

  const rowOf = async (userId: string): Promise<Row | undefined> =>
    (await sql<Row>`select email, username, name, deleted_at is not null as deleted from notifications.recipients
      where user_id = ${userId}`.execute(t.evently.database.db)).rows[0];
  /** Emits the events in this order and waits until the consumer has applied all of them. */
  const deliver = async (...events: Array<[type: AuthEventType, payload: Record<string, unknown>]>): Promise<DomainEvent[]> => {
    const emitted: DomainEvent[] = [];
    for (const [type, payload] of events) emitted.push(await emitAuthEvent(t, type, payload));
    const ids = emitted.map((e) => e.id);
    await waitFor(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from notifications.inbox
        where consumer = 'notifications.recipients' and event_id = any(${ids}::uuid[])`.execute(t.evently.database.db);
      return rows[0]!.n === ids.length;
    }, 10_000, 'the events applied');
    return emitted;
  };
  /** The whole user at one version, as auth's user events carry it. */
  const user = (user_id: string, entity_version: number, fields: { email: string; username?: string; full_name?: string | null }) => ({ user_id, entity_version, username: 'someone', full_name: null, ...fields });

  it('registered creates the recipient; each newer event replaces it with the user it carries', async () => {
    const user_id = newId();
    await deliver(['auth.user.registered', user(user_id, 1, { email: 'ada@example.com', username: 'ada', full_name: 'Ada' })]);
    assert.deepEqual(await rowOf(user_id), { email: 'ada@example.com', username: 'ada', name: 'Ada', deleted: false });

    await deliver(['auth.user.updated', { ...user(user_id, 2, { email: 'ada@example.com', username: 'ada', full_name: 'Ada Lovelace' }), role: 'admin', changed: ['full_name', 'role'] }]);
    assert.deepEqual(await rowOf(user_id), { email: 'ada@example.com', username: 'ada', name: 'Ada Lovelace', deleted: false });
    await deliver(['auth.user.verified', user(user_id, 3, { email: 'ada@lovelace.org', username: 'ada', full_name: null })]);
    assert.deepEqual(await rowOf(user_id), { email: 'ada@lovelace.org', username: 'ada', name: null, deleted: false });
  });

  it('out-of-order delivery never goes backwards: the newest version wins', async () => {
    const user_id = newId();
    // Delivered: version 4, the registration, then the older versions 2 and 3.
    await deliver(
      ['auth.user.updated', user(user_id, 4, { email: 'new@example.com', username: 'bob', full_name: 'Robert' })],
      ['auth.user.registered', user(user_id, 1, { email: 'first@example.com', username: 'bob', full_name: 'Bob' })],
      ['auth.user.updated', user(user_id, 2, { email: 'middle@example.com', username: 'bob', full_name: 'Bob' })],
      ['auth.user.updated', user(user_id, 3, { email: 'middle@example.com', username: 'bob', full_name: 'Bobby' })],
    );
    assert.deepEqual(await rowOf(user_id), { email: 'new@example.com', username: 'bob', name: 'Robert', deleted: false });
  });

  it('applying the same event again changes nothing (idempotent upsert)', async () => {
    const user_id = newId();
    const [registered] = await deliver(['auth.user.registered', user(user_id, 1, { email: 'c@example.com', username: 'cy' })]);
    await deliver(['auth.user.updated', user(user_id, 2, { email: 'c2@example.com', username: 'cy' })]);
    const before = await rowOf(user_id);
    // Straight through the consumer, past the inbox that would hide the duplicate.
    await t.evently.database.transaction((trx) => recipientsConsumer(t.evently.logger).handle(registered!, trx));
    assert.deepEqual(await rowOf(user_id), before);
    assert.equal(before!.email, 'c2@example.com');
  });

  it('deleted forgets the person and stays deleted when older events arrive late', async () => {
    const user_id = newId();
    await deliver(['auth.user.registered', user(user_id, 1, { email: 'd@example.com', username: 'dee', full_name: 'Dee' })]);
    await deliver(
      ['auth.user.deleted', { user_id, entity_version: 3 }],
      ['auth.user.updated', user(user_id, 2, { email: 'late@example.com', username: 'dee', full_name: 'Late' })],
    );
    assert.deepEqual(await rowOf(user_id), { email: null, username: null, name: null, deleted: true });
  });

  it('a mail to a user deleted before it went out is not sent', async () => {
    const user_id = newId();
    const email = `gone-${newId().slice(-8)}@example.com`;
    await deliver(['auth.user.registered', user(user_id, 1, { email, username: 'gone' })], ['auth.user.deleted', { user_id, entity_version: 2 }]);
    const expires_at = new Date(Date.now() + 600_000).toISOString();
    const otp = await emitAuthEvent(t, 'auth.otp.requested', { user_id, email, otp: '111111', purpose: 'verify_email', expires_at });
    const logOf = async () => (await sql<{ status: string; last_error: string }>`select status, last_error from notifications.mail_log
      where event_id = ${otp.id}`.execute(t.evently.database.db)).rows[0];
    await waitFor(async () => (await logOf())?.status === 'failed', 10_000, 'the mail given up');
    assert.equal((await logOf())!.last_error, 'recipient deleted before the mail was sent');
    const mailbox = await t.evently.app.inject({ method: 'GET', url: `/dev/mailbox?to=${email}` });
    assert.deepEqual(mailbox.json().items, []);
  });

  it('events written before the upgrade (payload version 1) are still applied where they can be made whole', async () => {
    const user_id = newId();
    const email = `v1-${newId().slice(-8)}@example.com`;
    const registered = await emitAuthEvent(t, 'auth.user.registered', { user_id, email, username: 'old', full_name: 'Old Timer', role: 'user', is_verified: false }, { version: 1 });
    await waitFor(async () => (await rowOf(user_id)) !== undefined, 10_000, 'the v1 registration applied');
    assert.deepEqual(await rowOf(user_id), { email, username: 'old', name: 'Old Timer', deleted: false });
    assert.equal(registered.version, 1);
    // Its verification code, mailed by the new consumer.
    const expires_at = new Date(Date.now() + 600_000).toISOString();
    const otp = await emitAuthEvent(t, 'auth.otp.requested', { user_id, email, otp: '424242', purpose: 'verify_email', expires_at }, { version: 1 });
    await waitFor(async () => (await sql<{ status: string }>`select status from notifications.mail_log where event_id = ${otp.id}`.execute(t.evently.database.db)).rows[0]?.status === 'sent', 10_000, 'the v1 code mailed');
  });

  it('a payload that does not meet the contract is ignored without blocking the events after it', async () => {
    const user_id = newId();
    await deliver(
      ['auth.user.registered', { ...user(user_id, 1, { email: 'e@example.com' }), username: undefined }],
      ['auth.user.registered', user('not-a-uuid', 1, { email: 'x@example.com', username: 'x' })],
      ['auth.user.registered', user(user_id, 1, { email: 'e@example.com', username: 'eve' })],
    );
    assert.deepEqual(await rowOf(user_id), { email: 'e@example.com', username: 'eve', name: null, deleted: false });
  });
});
