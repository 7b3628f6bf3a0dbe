/**
 * RFC 8827 §6.5: the DTLS peer must present the certificate its SDP fingerprint names. A description with
 * another fingerprint makes the handshake fail: the connection goes to failed and no channel opens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RTCError, RTCErrorEvent } from '../../src/peer/index.ts';
import { virtualPeers } from '../../src/peer/virtual-peers.ts';

test('a certificate that does not match the SDP fingerprint fails the connection', {
  timeout: 30_000,
}, async (t) => {
  const peers = virtualPeers();
  t.after(() => peers.close());
  const { a, b } = peers;
  const channel = a.createDataChannel('never');
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  // Someone on the signaling path swapped the answerer's fingerprint.
  const forged = b.localDescription!.sdp.replace(
    /a=fingerprint:sha-256 (\S+)/,
    `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`,
  );
  const errors: RTCError[] = [];
  await a.setRemoteDescription({ type: 'answer', sdp: forged });
  a.sctp!.transport.addEventListener('error', (event) => errors.push((event as RTCErrorEvent).error));
  await peers.runUntil(() => a.connectionState === 'failed', 60_000);
  assert.equal(a.sctp?.transport.state, 'failed');
  assert.equal(errors[0]?.errorDetail, 'fingerprint-failure');
  assert.notEqual(channel.readyState, 'open');
});
