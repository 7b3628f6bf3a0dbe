import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { longTermKey } from '../stun/index.ts';
import { CredentialStore, createTurnRestCredentials, NonceIssuer } from './auth.ts';

test('TURN REST credentials: "expiry:user" and base64 HMAC-SHA1 of it (coturn use-auth-secret)', () => {
  const credentials = createTurnRestCredentials('s3cret', 'alice', 86_400, 1_700_000_000_500);
  assert.equal(credentials.username, '1700086400:alice');
  assert.equal(
    credentials.password,
    createHmac('sha1', 's3cret').update('1700086400:alice').digest('base64'),
  );
  assert.equal(credentials.ttl, 86_400);
});

test('the credential store knows static users and unexpired REST usernames', () => {
  let now = 1_700_000_000_000;
  const store = new CredentialStore({
    realm: 'r',
    authSecret: 's3cret',
    staticUsers: new Map([['bob', 'pw']]),
    wallClock: () => now,
  });
  assert.deepEqual(store.keyFor('bob'), longTermKey('bob', 'r', 'pw'));
  const rest = createTurnRestCredentials('s3cret', 'alice', 60, now);
  assert.deepEqual(store.keyFor(rest.username), longTermKey(rest.username, 'r', rest.password));
  now += 61_000;
  assert.equal(store.keyFor(rest.username), undefined, 'expired');
  assert.equal(store.keyFor('mallory'), undefined);
  assert.equal(
    new CredentialStore({ realm: 'r' }).keyFor('1800000000:alice'),
    undefined,
    'no secret, no REST',
  );
});

test('nonces are bound to the client IP and go stale', () => {
  const nonces = new NonceIssuer(1000);
  const nonce = nonces.issue('192.0.2.1', 5000);
  assert.equal(nonces.check(nonce, '192.0.2.1', 5999), 'valid');
  assert.equal(nonces.check(nonce, '192.0.2.1', 6000), 'stale');
  assert.equal(nonces.check(nonce, '192.0.2.2', 5500), 'invalid');
  assert.equal(nonces.check(`${nonce}x`, '192.0.2.1', 5500), 'invalid');
  assert.equal(nonces.check('garbage', '192.0.2.1', 5500), 'invalid');
  assert.equal(new NonceIssuer(1000).check(nonce, '192.0.2.1', 5500), 'invalid', 'another server instance');
});
