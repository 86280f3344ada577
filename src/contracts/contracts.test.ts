import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTH_EVENTS } from './auth.js';
import { contractViolation, payloadIf, payloadOfAny } from './contract.js';

const userId = '01a22b8e-9186-718d-97f6-17e00530d15b';
const sessionId = '01a22b8f-6b7c-76a6-b7eb-b5d34a863ecb';
const v1 = (type: string, payload: Record<string, unknown>) => ({ type, version: 1, payload });

/** Events written before the upgrade to payload version 2 (no entity versions) are still read. */
describe('auth contracts: version 1 events after the upgrade', () => {
  it('registrations, codes, deletions and revocations are made into version 2', () => {
    const registered = payloadIf(AUTH_EVENTS, v1('auth.user.registered', { user_id: userId, email: 'a@example.com', username: 'ann', full_name: null, role: 'user', is_verified: false }), 'auth.user.registered');
    assert.deepEqual(registered, { user_id: userId, email: 'a@example.com', username: 'ann', full_name: null, role: 'user', is_verified: false, is_active: true, entity_version: 1 });
    const sealed = 'x'.repeat(40);
    const expires_at = new Date(Date.now() + 600_000).toISOString();
    assert.equal(payloadIf(AUTH_EVENTS, v1('auth.otp.requested', { user_id: userId, email: 'a@example.com', otp_sealed: sealed, purpose: 'verify_email', expires_at }), 'auth.otp.requested')?.otp_sealed, sealed);
    assert.ok(payloadIf(AUTH_EVENTS, v1('auth.password_reset.requested', { user_id: userId, email: 'a@example.com', otp_sealed: sealed, expires_at }), 'auth.password_reset.requested'));
    // A deletion is final: the largest version, so no earlier state ever wins over it.
    assert.equal(payloadIf(AUTH_EVENTS, v1('auth.user.deleted', { user_id: userId }), 'auth.user.deleted')?.entity_version, 2_147_483_647);
    assert.ok(payloadIf(AUTH_EVENTS, v1('auth.session.revoked', { session_id: sessionId, user_id: userId, reason: 'logout' }), 'auth.session.revoked'));
  });

  it('a version 1 update or verification cannot be made into a whole user: it does not meet the contract', () => {
    const updated = v1('auth.user.updated', { user_id: userId, full_name: 'Ann' });
    assert.equal(payloadIf(AUTH_EVENTS, updated, 'auth.user.updated'), undefined);
    assert.match(contractViolation(AUTH_EVENTS, updated)!, /payload version 1, the contract 2 \(no upcast from it\)/);
    assert.equal(payloadIf(AUTH_EVENTS, v1('auth.user.verified', { user_id: userId, email: 'a@example.com' }), 'auth.user.verified'), undefined);
  });

  it('an upcast payload still has to meet the schema, and unknown versions do not', () => {
    assert.equal(payloadIf(AUTH_EVENTS, v1('auth.user.registered', { user_id: 'not-a-uuid', email: 'a@example.com' }), 'auth.user.registered'), undefined);
    assert.equal(payloadIf(AUTH_EVENTS, { type: 'auth.user.deleted', version: 3, payload: { user_id: userId, entity_version: 1 } }, 'auth.user.deleted'), undefined);
  });
});

describe('payloadOfAny', () => {
  const deleted = (version: number, payload: Record<string, unknown>) => ({ type: 'auth.user.deleted', version, payload });
  it('the payload of the event\'s own type when it is one of the types and meets the contract; else undefined', () => {
    const types = ['auth.user.deleted', 'auth.session.revoked'] as const;
    assert.deepEqual(payloadOfAny(AUTH_EVENTS, types, deleted(2, { user_id: userId, entity_version: 3 })), { user_id: userId, entity_version: 3 });
    assert.equal(payloadOfAny(AUTH_EVENTS, ['auth.session.revoked'], deleted(2, { user_id: userId, entity_version: 3 })), undefined, 'not one of the types');
    assert.equal(payloadOfAny(AUTH_EVENTS, types, deleted(2, { user_id: 'nope', entity_version: 3 })), undefined, 'not the schema');
  });
});
