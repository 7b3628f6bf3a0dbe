import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportKeyingMaterial, extendedMasterSecret, finishedVerifyData, keyBlock, prf } from './prf.ts';

const hex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

// The TLS 1.2 PRF vectors posted to the IETF TLS working group
// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), used by many stacks' tests.
test('TLS 1.2 PRF with SHA-256 matches the published vector', () => {
  const output = prf(
    'sha256',
    hex('9bbe436ba940f017b17652849a71db35'),
    'test label',
    hex('a0ba9f936cda311827a6f796ffd5198c'),
    100,
  );
  assert.equal(
    toHex(output),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a' +
      '6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab' +
      '4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701' +
      '87347b66',
  );
});

test('TLS 1.2 PRF with SHA-384 matches the published vector', () => {
  const output = prf(
    'sha384',
    hex('b80b733d6ceefcdc71566ea48e5567df'),
    'test label',
    hex('cd665cf6a8447dd6ff8b27555edb7465'),
    148,
  );
  assert.equal(
    toHex(output),
    '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd' +
      'e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd' +
      '8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425' +
      '9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6' +
      '91c8f3a26854308d5eaa3be85e0990703d73e56f',
  );
});

test('derived secrets are PRF outputs under their RFC labels and seeds', () => {
  const secret = hex('00112233445566778899aabbccddeeff');
  const clientRandom = new Uint8Array(32).fill(1);
  const serverRandom = new Uint8Array(32).fill(2);
  const both = (a: Uint8Array, b: Uint8Array) => new Uint8Array([...a, ...b]);
  assert.deepEqual(
    extendedMasterSecret('sha256', secret, hex('abcd')),
    prf('sha256', secret, 'extended master secret', hex('abcd'), 48),
  );
  // RFC 5246 §6.3: the key block is seeded server random first.
  assert.deepEqual(
    keyBlock('sha256', secret, clientRandom, serverRandom, 40),
    prf('sha256', secret, 'key expansion', both(serverRandom, clientRandom), 40),
  );
  assert.equal(finishedVerifyData('sha384', secret, 'server', hex('ff')).length, 12);
  // RFC 5705 §4: the exporter is seeded client random first, with an optional length-prefixed context.
  assert.deepEqual(
    exportKeyingMaterial('sha256', secret, clientRandom, serverRandom, 'EXTRACTOR-dtls_srtp', 60),
    prf('sha256', secret, 'EXTRACTOR-dtls_srtp', both(clientRandom, serverRandom), 60),
  );
  assert.deepEqual(
    exportKeyingMaterial('sha256', secret, clientRandom, serverRandom, 'label', 8, Uint8Array.of(7)),
    prf('sha256', secret, 'label', new Uint8Array([...clientRandom, ...serverRandom, 0, 1, 7]), 8),
  );
  assert.throws(
    () => exportKeyingMaterial('sha256', secret, clientRandom, serverRandom, 'key expansion', 8),
    RangeError,
  );
});
