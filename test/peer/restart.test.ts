/**
 * ICE restart (RFC 8445 §9) through restartIce() and negotiationneeded, in virtual time: both sides take
 * new credentials, the checks run again, and DTLS, SCTP and the open channel carry on.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RTCDataChannel, RTCPeerConnection } from '../../src/peer/index.ts';
import { virtualPeers } from '../../src/peer/virtual-peers.ts';

const ufragOf = (pc: RTCPeerConnection) => /a=ice-ufrag:(\S+)/.exec(pc.localDescription?.sdp ?? '')?.[1];

test('restartIce renegotiates new ICE credentials on both sides and the channel survives', {
  timeout: 30_000,
}, async (t) => {
  const peers = virtualPeers({ delayMs: 10 });
  t.after(() => peers.close());
  const { a, b } = peers;
  const negotiate = async () => {
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
  };
  const channel = a.createDataChannel('chat');
  let remote: RTCDataChannel | undefined;
  b.ondatachannel = (event) => {
    remote = event.channel;
  };
  await negotiate();
  await peers.runUntil(() => channel.readyState === 'open' && remote !== undefined);
  const before = [ufragOf(a), ufragOf(b)];

  let needed = false;
  a.onnegotiationneeded = () => {
    needed = true;
  };
  a.restartIce();
  await peers.runUntil(() => needed);
  const iceStates: string[] = [];
  a.oniceconnectionstatechange = () => iceStates.push(a.iceConnectionState);
  await negotiate();
  const after = [ufragOf(a), ufragOf(b)];
  assert.notEqual(after[0], before[0], 'the offerer has new credentials');
  assert.notEqual(after[1], before[1], 'the answerer has new credentials (RFC 8839 §4.4.1.1.1)');
  await peers.runUntil(() => iceStates.includes('completed') || iceStates.includes('connected'));
  assert.equal(a.connectionState, 'connected');

  const received: string[] = [];
  remote!.onmessage = (event) => received.push((event as MessageEvent).data as string);
  channel.send('after the restart');
  await peers.runUntil(() => received.length === 1);
  assert.deepEqual(received, ['after the restart']);
  assert.equal(channel.readyState, 'open');
});
