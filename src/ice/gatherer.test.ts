import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIceServerUrl } from './gatherer.ts';

test('parses stun: and turn: URLs (RFC 7064, RFC 7065)', () => {
  assert.deepEqual(parseIceServerUrl('stun:stun.example.org'), {
    scheme: 'stun',
    host: 'stun.example.org',
    port: 3478,
  });
  assert.deepEqual(parseIceServerUrl('stun:192.0.2.1:19302'), {
    scheme: 'stun',
    host: '192.0.2.1',
    port: 19302,
  });
  assert.deepEqual(parseIceServerUrl('stun:[2001:db8::1]:3478'), {
    scheme: 'stun',
    host: '2001:db8::1',
    port: 3478,
  });
  assert.deepEqual(parseIceServerUrl('turns:turn.example.org'), {
    scheme: 'turns',
    host: 'turn.example.org',
    port: 5349,
  });
  assert.deepEqual(parseIceServerUrl('turn:turn.example.org:3478?transport=tcp'), {
    scheme: 'turn',
    host: 'turn.example.org',
    port: 3478,
    transport: 'tcp',
  });
  for (const bad of ['http://x', 'stun:', 'stun:host:99999', 'stun:host:1?transport=sctp', 'stun://host']) {
    assert.throws(() => parseIceServerUrl(bad), TypeError, bad);
  }
});
