/** The pure helpers under auth's rules: codes, password normalisation, the client a limit counts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientKey } from './identity.js';
import { checkPassword, checkPasswordPolicy, hashPassword, hashSecret, newOtp, newResetCode, normaliseCode } from './passwords.js';

describe('auth helpers', () => {
  it('verification codes are six digits; reset codes XXXXX-XXXXX of Crockford base32, all different', () => {
    assert.match(newOtp(), /^\d{6}$/);
    const codes = new Set(Array.from({ length: 2_000 }, () => newResetCode()));
    assert.equal(codes.size, 2_000);
    for (const c of codes) assert.match(c, /^[0-9ABCDEFGHJKMNPQRSTVWXYZ]{5}-[0-9ABCDEFGHJKMNPQRSTVWXYZ]{5}$/);
  });

  it('a typed code is read as issued: case, hyphens and spaces do not matter, O is 0 and I or L is 1', () => {
    assert.equal(normaliseCode('k7qm2-xrd9p'), 'K7QM2XRD9P');
    assert.equal(normaliseCode(' K7QM2 XRD9P '), 'K7QM2XRD9P');
    assert.equal(normaliseCode('OIL00-11111'), '0110011111');
    assert.equal(normaliseCode('012345'), '012345');
  });

  it('passwords match in NFC whichever form was typed; a hash of the raw text (before NFC) still matches and asks for a rehash', async () => {
    const composed = 'Gr\u00fcn-Passw0rd';
    const decomposed = 'Gru\u0308n-Passw0rd';
    const hash = await hashPassword(decomposed);
    assert.deepEqual(await checkPassword(hash, composed), { match: true, rehash: false });
    assert.deepEqual(await checkPassword(hash, decomposed), { match: true, rehash: false });
    const legacy = await hashSecret(decomposed); // stored before passwords were normalised
    assert.deepEqual(await checkPassword(legacy, decomposed), { match: true, rehash: true });
    assert.deepEqual(await checkPassword(undefined, composed), { match: false, rehash: false }, 'no account: a dummy check, no match');
    assert.throws(() => checkPasswordPolicy('Tab\there-1A'), /too weak/);
  });

  it('a client is an IPv4 address, or the /64 of an IPv6 one; a mapped IPv4 address is the IPv4 client', () => {
    assert.equal(clientKey('203.0.113.7'), '203.0.113.7');
    assert.equal(clientKey('2001:db8:8::1'), clientKey('2001:db8:8:0:ffff::2'));
    assert.notEqual(clientKey('2001:db8:8::1'), clientKey('2001:db8:9::1'));
    assert.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  });
});
