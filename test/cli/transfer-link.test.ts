/** What `dyad receive` accepts (codes, links) and what `--server` means, as sentences when wrong. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/cli/errors.ts';
import { parseReceiveTarget, receiveLink, signalingTarget } from '../../src/cli/transfer-link.ts';
import { safetyCodeOf } from '../../src/client/index.ts';
import { parseFingerprint, safetyCode } from '../../web/src/call/safety-code.ts';

test('--server takes a web address or a signaling URL', () => {
  assert.deepEqual(signalingTarget('https://dyad.example.org'), {
    wsUrl: 'wss://dyad.example.org/WebRTCAppEE/websocket',
    webOrigin: 'https://dyad.example.org',
  });
  assert.deepEqual(signalingTarget('ws://192.168.1.5:8080/WebRTCAppEE/websocket'), {
    wsUrl: 'ws://192.168.1.5:8080/WebRTCAppEE/websocket',
    webOrigin: 'http://192.168.1.5:8080',
  });
  assert.equal(signalingTarget('192.168.1.5:8080').wsUrl, 'ws://192.168.1.5:8080/WebRTCAppEE/websocket');
  assert.throws(() => signalingTarget('ftp://x'), UserError);
});

test('a link carries server, room and secret; a code needs --server; both refuse with sentences', () => {
  const pairing = { room: 'k3qd-7hxa', secret: '9mvw2bfetq8cn4ry' };
  const link = receiveLink('http://192.168.1.5:40001', pairing);
  assert.equal(link, 'http://192.168.1.5:40001/receive/k3qd-7hxa#9mvw2bfetq8cn4ry');
  assert.deepEqual(parseReceiveTarget(link, 'https://ignored.example'), {
    wsUrl: 'ws://192.168.1.5:40001/WebRTCAppEE/websocket',
    webOrigin: 'http://192.168.1.5:40001',
    ...pairing,
  });
  assert.deepEqual(parseReceiveTarget('K3QD-7HXA-9MVW-2BFE-TQ8C-N4RY', 'http://h:1').secret, pairing.secret);
  assert.throws(
    () => parseReceiveTarget('k3qd-7hxa-9mvw-2bfe-tq8c-n4ry', undefined),
    /A code needs the signaling server/,
  );
  assert.throws(() => parseReceiveTarget('http://h:1/receive/k3qd-7hxa', undefined), /lacks its secret part/);
  assert.throws(
    () => parseReceiveTarget('http://h:1/call/k3qd-7hxa#9mvw2bfetq8cn4ry', undefined),
    /not a Dyad receive link/,
  );
  assert.throws(() => parseReceiveTarget('hello', 'http://h:1'), /neither a code .* nor a link/);
});

test('the terminal shows the safety code the call page derives (docs/safety-code.md)', () => {
  const a =
    'a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
  const b =
    'a=fingerprint:SHA-256 10:32:54:76:98:ba:dc:fe:10:32:54:76:98:ba:dc:fe:10:32:54:76:98:ba:dc:fe:10:32:54:76:98:ba:dc:fe';
  assert.equal(safetyCodeOf(a, b), safetyCode(parseFingerprint(a)!, parseFingerprint(b)!));
});
