import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AUTH_EVENTS } from '../../src/contracts/auth.js';
import { contractViolation } from '../../src/contracts/contract.js';
import type { DomainEvent } from '../../src/kernel/index.js';
import { ALL_MODULES } from '../../src/modules/index.js';
import { ADMIN_EMAIL, ADMIN_ENV, ADMIN_PASSWORD, NEW_PASSWORD, NO_AUTH_LIMITS, PASSWORD, call, eventually, login, otpFor, refreshWith, signUp, sqlRows } from '../support/auth.js';
import { startTestEvently, type TestEvently } from '../support/evently.js';
import { extendModule } from '../support/modules.js';

/**
 * Every event auth writes meets its contract (src/contracts/auth.ts): the whole account life is
 * played through the real HTTP API, and every auth event the bus delivers to another module is
 * checked against the schema its consumers import. Entity versions only ever grow per entity.
 */
describe('auth events meet their contracts', () => {
  let t: TestEvently;
  const seen: DomainEvent[] = [];

  before(async () => {
    // The analytics module's slot records every auth event it is delivered (it consumes none yet).
    const recorder = extendModule(ALL_MODULES.analytics, (parts) => ({
      ...parts,
      consumers: [...(parts.consumers ?? []), { name: 'analytics.contract-recorder', topics: ['auth.*'], handle: async (e: DomainEvent) => void seen.push(e) }],
    }));
    t = await startTestEvently({ env: { ...NO_AUTH_LIMITS, ...ADMIN_ENV }, modules: { analytics: recorder } });
  });
  after(() => t?.close());

  it('across register, verify, resend, profile and admin changes, password change and reset, logout, refresh reuse and delete', async () => {
    const app = t.evently.app;
    const admin = await login(app, ADMIN_EMAIL, ADMIN_PASSWORD);
    const as = (method: string, url: string, body?: unknown) => call(app, method, url, { token: admin.access_token, body });

    const email = `contracts-${Date.now()}@example.org`;
    const user = await signUp(app, email); // otp.requested, registered, verified
    assert.equal((await call(app, 'POST', '/api/v1/auth/register', { body: { email, username: `again${Date.now()}`, password: PASSWORD } })).status, 202); // existing_account
    assert.equal((await call(app, 'PUT', '/api/v1/auth/me', { token: user.access_token, body: { full_name: 'Con Tract' } })).status, 200);
    const second = await login(app, email);
    assert.equal((await call(app, 'POST', '/api/v1/auth/change-password', { token: user.access_token, body: { current_password: PASSWORD, new_password: NEW_PASSWORD } })).status, 204);
    assert.equal((await call(app, 'POST', '/api/v1/auth/forgot-password', { body: { email } })).status, 202);
    const code = await otpFor(app, email, { subject: /^Reset your Evently password$/ });
    assert.equal((await call(app, 'POST', '/api/v1/auth/reset-password', { body: { email, otp: code, new_password: PASSWORD } })).status, 204);
    const third = await login(app, email);
    const rotated = await refreshWith(app, third.refresh_token);
    assert.equal(rotated.status, 200);
    assert.equal((await refreshWith(app, third.refresh_token)).status, 401, 'reuse revokes the session');
    const fourth = await login(app, email);
    assert.equal((await call(app, 'POST', '/api/v1/auth/logout', { token: fourth.access_token })).status, 204);
    await login(app, email);
    assert.equal((await as('PUT', `/api/v1/admin/users/${user.user_id}`, { role: 'admin' })).status, 200);
    assert.equal((await as('POST', `/api/v1/admin/users/${user.user_id}/deactivate`)).status, 200);
    assert.equal((await as('POST', `/api/v1/admin/users/${user.user_id}/activate`)).status, 200);
    const unverified = `contracts-unverified-${Date.now()}@example.org`;
    assert.equal((await call(app, 'POST', '/api/v1/auth/register', { body: { email: unverified, username: `u${Date.now()}`, password: PASSWORD } })).status, 202);
    assert.equal((await call(app, 'POST', '/api/v1/auth/resend-otp', { body: { email: unverified } })).status, 202);
    assert.equal((await as('DELETE', `/api/v1/admin/users/${user.user_id}`)).status, 204);
    void second;

    // Every event auth wrote reaches the recorder.
    const written = await sqlRows<{ id: string }>(t.database.url, 'select id from auth.outbox order by seq');
    await eventually(async () => (written.every((w) => seen.some((e) => e.id === w.id)) ? true : undefined), 'every auth event delivered');

    const violations = seen.map((e) => [e.type, contractViolation(AUTH_EVENTS, e)]).filter(([, v]) => v);
    assert.deepEqual(violations, [], 'every event meets its contract');
    assert.deepEqual([...new Set(seen.map((e) => e.type))].sort(), Object.keys(AUTH_EVENTS).sort(), 'every contract was exercised');

    // Versions only grow per entity, in the order auth wrote the events.
    const order = new Map(written.map((w, i) => [w.id, i]));
    const byEntity = new Map<string, number[]>();
    for (const e of [...seen].sort((a, b) => order.get(a.id)! - order.get(b.id)!)) {
      const p = e.payload as { user_id: string; session_id?: string; entity_version: number };
      // Codes and notices do not change the user: they carry its version at the time.
      if (['auth.otp.requested', 'auth.password_reset.requested', 'auth.registration.existing_account'].includes(e.type)) continue;
      const key = e.type === 'auth.session.revoked' ? `session ${p.session_id}` : `user ${p.user_id}`;
      byEntity.set(key, [...(byEntity.get(key) ?? []), p.entity_version]);
    }
    for (const [key, versions] of byEntity) {
      assert.ok(versions.every((v, i) => i === 0 || v > versions[i - 1]!), `${key}: versions ${versions.join(', ')} only grow`);
    }
    // The password changes bump the row without an event of their own (4, 5).
    assert.deepEqual(byEntity.get(`user ${user.user_id}`), [1, 2, 3, 6, 7, 8, 9], 'registered, verified, renamed, role, deactivated, activated, deleted');
  });
});
