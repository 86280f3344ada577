import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../kernel/index.js';
import { mailSettings, type MailConfig } from './mail.settings.js';

const load = (env: Record<string, string>) => loadConfig({ env, envFile: false, modules: { notifications: mailSettings } });
const mail = (env: Record<string, string>) => load(env).slices.notifications as MailConfig;
const prod = { NODE_ENV: 'production', DATABASE_URL: 'postgres://e:Zq8-long-random@db/e', REDIS_URL: 'redis://r:6379', EVENT_SEALING_KEY: 'q3Jk1n4Zb0m8c2F7x9LwVt5yHs6Ue1Rp0Ao3Ki8Dg2M' };

describe('mail settings', () => {
  it('uses the dev mailbox without SMTP outside production, and never by default in production', () => {
    assert.equal(mail({}).devMailbox, true);
    assert.equal(mail({ SMTP_URL: 'smtp://mail.example.com:587' }).devMailbox, false);
    assert.equal(mail({ ...prod, EVENTLY_MODULES: 'bookings' }).devMailbox, false);
    assert.equal(mail({ SMTP_URL: 'smtp://mail.example.com:587', EVENTLY_DEV_MAILBOX: 'true' }).devMailbox, true);
    assert.throws(() => load({ ...prod, EVENTLY_DEV_MAILBOX: 'true', SMTP_URL: 'smtp://m:587' }), /EVENTLY_DEV_MAILBOX cannot be on in production/);
    assert.throws(() => load({ SMTP_URL: 'http://mail' }), /SMTP_URL must be a smtp:\/\/ or smtps:\/\/ URL/);
  });

  it('production needs SMTP_URL to run notifications, not to run other modules', () => {
    assert.throws(() => load(prod), /SMTP_URL is required in production to run the notifications module/);
    assert.doesNotThrow(() => load({ ...prod, EVENTLY_MODULES: 'auth,events' }));
    assert.equal(mail({ ...prod, SMTP_URL: 'smtp://mail:587' }).smtpUrl, 'smtp://mail:587');
  });

  it('never serves the dev mailbox on a HOST that is not loopback: the start is refused, naming the settings', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', 'evently.example.com', '[::ffff:10.0.0.1]']) {
      assert.throws(() => load({ HOST: host }), (e: Error) => {
        assert.match(e.message, new RegExp(`the dev mailbox is on \\(by default: SMTP_URL is not set\\) while HOST=${host.replace(/[.[\]]/g, '\\$&')} is not a loopback address`));
        assert.match(e.message, /GET \/dev\/mailbox would show every verification and password-reset code/);
        assert.match(e.message, /SMTP_URL .*EVENTLY_DEV_MAILBOX unset or false.*127\.0\.0\.1, ::1 or localhost \(HOST\)/);
        return true;
      }, host);
    }
    assert.throws(() => load({ HOST: '0.0.0.0', SMTP_URL: 'smtp://m:587', EVENTLY_DEV_MAILBOX: 'true' }), /the dev mailbox is on \(EVENTLY_DEV_MAILBOX=true\) while HOST=0\.0\.0\.0/);
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '[::1]', 'localhost', 'LocalHost.']) {
      assert.equal(mail({ HOST: host }).devMailbox, true, host);
    }
    // No mailbox, or no routes in this process: nothing is served.
    assert.equal(mail({ HOST: '0.0.0.0', SMTP_URL: 'smtp://m:587' }).devMailbox, false);
    assert.equal(mail({ HOST: '0.0.0.0', EVENTLY_DEV_MAILBOX: 'false' }).devMailbox, false);
    assert.doesNotThrow(() => load({ HOST: '0.0.0.0', EVENTLY_ROLES: 'worker,scheduler' }));
    // Only a process that runs notifications serves it.
    assert.doesNotThrow(() => load({ HOST: '0.0.0.0', EVENTLY_MODULES: 'auth', REDIS_URL: 'redis://r:6379' }));
  });
});
