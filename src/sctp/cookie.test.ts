import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CookieContents, CookieSigner } from './cookie.ts';

const contents: CookieContents = {
  createdAt: 123_456,
  localTag: 0xdeadbeef,
  peerTag: 0x01020304,
  localInitialTsn: 0xfffffff0,
  peerInitialTsn: 7,
  peerReceiveWindow: 1 << 20,
  peerOutboundStreams: 1024,
  peerInboundStreams: 65535,
  peerExtensions: [0x40, 0x82, 0xc0],
  peerForwardTsn: true,
  peerZeroChecksum: false,
};

test('a signed state cookie verifies and round-trips its contents', () => {
  const signer = new CookieSigner();
  assert.deepEqual(signer.verify(signer.sign(contents)), contents);
});

test('a cookie with any flipped bit, a cut, or another key is refused', () => {
  const signer = new CookieSigner();
  const cookie = signer.sign(contents);
  for (let i = 0; i < cookie.length; i++) {
    const forged = cookie.slice();
    forged[i]! ^= 0x10;
    assert.equal(signer.verify(forged), undefined, `byte ${i}`);
  }
  assert.equal(signer.verify(cookie.subarray(0, 20)), undefined);
  assert.equal(new CookieSigner().verify(cookie), undefined);
});
