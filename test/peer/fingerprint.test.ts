/**
 * RFC 8827 §6.5: the DTLS peer must present the certificate its SDP fingerprint names. A description with
 * another fingerprint makes the handshake fail: the connection goes to failed and no channel opens.
 * RFC 9429 §5.11: once connected, the fingerprint may change only with an ICE restart; a renegotiation
 * without one that changes it is refused and leaves the connection as it was.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  RTCDataChannelEvent,
  RTCError,
  RTCErrorEvent,
  RTCPeerConnection,
} from '../../src/peer/index.ts';
import { virtualPeers } from '../../src/peer/virtual-peers.ts';

/** The SDP with its SHA-256 fingerprint replaced by 32 times `byte`, as someone on the signaling path might. */
function forgeFingerprint(sdp: string, byte: string): string {
  return sdp.replace(
    /a=fingerprint:sha-256 (\S+)/,
    `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => byte).join(':')}`,
  );
}

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
  const forged = forgeFingerprint(b.localDescription!.sdp, 'AB');
  const errors: RTCError[] = [];
  await a.setRemoteDescription({ type: 'answer', sdp: forged });
  a.sctp!.transport.addEventListener('error', (event) => errors.push((event as RTCErrorEvent).error));
  await peers.runUntil(() => a.connectionState === 'failed', 60_000);
  assert.equal(a.sctp?.transport.state, 'failed');
  assert.equal(errors[0]?.errorDetail, 'fingerprint-failure');
  assert.notEqual(channel.readyState, 'open');
});

/** A connected pair in virtual time with one open channel from a. */
async function connectedWithChannel(label: string) {
  const peers = virtualPeers();
  const { a, b } = peers;
  const channel = a.createDataChannel(label);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
  await peers.runUntil(() => channel.readyState === 'open', 60_000);
  return { peers, a, b, channel };
}

/** A second offer/answer (an ICE restart) from a; `answerSdp` may change b's answer on its way to a. */
async function renegotiate(
  a: RTCPeerConnection,
  b: RTCPeerConnection,
  answerSdp: (sdp: string) => string = (sdp) => sdp,
): Promise<void> {
  a.restartIce();
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription({ type: 'answer', sdp: answerSdp(b.localDescription!.sdp) });
}

/**
 * b is gone (its app restarted); c, a new RTCPeerConnection, answers a's ICE restart. Descriptions go
 * whole, candidates included, once gathering is complete. `answerSdp` may change c's answer on its way.
 */
async function handOver(
  peers: ReturnType<typeof virtualPeers>,
  a: RTCPeerConnection,
  answerSdp: (sdp: string) => string = (sdp) => sdp,
): Promise<RTCPeerConnection> {
  peers.b.close();
  const c = peers.addPeer('10.0.0.3');
  a.restartIce();
  await a.setLocalDescription();
  await peers.runUntil(() => a.iceGatheringState === 'complete', 60_000);
  await c.setRemoteDescription(a.localDescription!);
  await c.setLocalDescription();
  await peers.runUntil(() => c.iceGatheringState === 'complete', 60_000);
  await a.setRemoteDescription({ type: 'answer', sdp: answerSdp(c.localDescription!.sdp) });
  return c;
}

test('a new peer answering an ICE restart gets a new DTLS and SCTP association; the old channels close', {
  timeout: 30_000,
}, async (t) => {
  const { peers, a, channel } = await connectedWithChannel('before-handover');
  t.after(() => peers.close());
  const oldSctp = a.sctp;
  const closed = new Promise((resolve) => channel.addEventListener('close', resolve));
  const c = await handOver(peers, a);
  await closed;
  assert.equal(oldSctp?.state, 'closed');
  assert.notEqual(a.sctp, oldSctp, 'pc.sctp is the transport of the new association');
  const fresh = a.createDataChannel('after-handover');
  const received = new Promise<string>((resolve) =>
    c.addEventListener('datachannel', (event) => {
      const remote = (event as RTCDataChannelEvent).channel;
      remote.addEventListener('message', (message) => resolve((message as MessageEvent).data));
    }),
  );
  await peers.runUntil(() => fresh.readyState === 'open', 60_000);
  fresh.send('hello, c');
  let text: string | undefined;
  void received.then((value) => {
    text = value;
  });
  await peers.runUntil(() => text !== undefined, 60_000);
  assert.equal(text, 'hello, c');
  assert.equal(a.connectionState, 'connected');
  assert.equal(a.sctp?.transport.state, 'connected');
});

test('the new association fails when the new peer presents another certificate than its fingerprint names', {
  timeout: 30_000,
}, async (t) => {
  const { peers, a, channel } = await connectedWithChannel('open-then-cut');
  t.after(() => peers.close());
  const errors: RTCError[] = [];
  a.sctp!.transport.addEventListener('error', (event) => errors.push((event as RTCErrorEvent).error));
  // Someone on the signaling path swapped c's fingerprint.
  await handOver(peers, a, (sdp) => forgeFingerprint(sdp, 'CD'));
  await peers.runUntil(() => a.connectionState === 'failed', 60_000);
  assert.equal(a.sctp?.transport.state, 'failed');
  assert.equal(errors[0]?.errorDetail, 'fingerprint-failure');
  assert.equal(channel.readyState, 'closed');
});

test('a renegotiation with the same fingerprint keeps the association and its channel', {
  timeout: 30_000,
}, async (t) => {
  const { peers, a, b, channel } = await connectedWithChannel('kept');
  t.after(() => peers.close());
  await renegotiate(a, b);
  await peers.runUntil(() => a.iceConnectionState === 'connected', 60_000);
  assert.equal(a.sctp?.transport.state, 'connected');
  assert.equal(channel.readyState, 'open');
});

test('a renegotiation without ICE restart that changes the fingerprint is refused, answer or offer', {
  timeout: 30_000,
}, async (t) => {
  const { peers, a, b, channel } = await connectedWithChannel('kept-after-refusal');
  t.after(() => peers.close());
  const isInvalidAccess = (error: unknown) =>
    error instanceof DOMException && error.name === 'InvalidAccessError';
  // An answer that changes b's fingerprint, the ICE credentials unchanged.
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await assert.rejects(
    a.setRemoteDescription({ type: 'answer', sdp: forgeFingerprint(b.localDescription!.sdp, 'CD') }),
    isInvalidAccess,
  );
  assert.equal(a.signalingState, 'have-local-offer', 'the refused answer changed nothing');
  await a.setRemoteDescription(b.localDescription!);
  // A re-offer from a that changes a's fingerprint, the ICE credentials unchanged.
  await a.setLocalDescription();
  await assert.rejects(
    b.setRemoteDescription({ type: 'offer', sdp: forgeFingerprint(a.localDescription!.sdp, 'EF') }),
    isInvalidAccess,
  );
  assert.equal(b.signalingState, 'stable');
  await a.setLocalDescription({ type: 'rollback' });
  await peers.runUntil(() => a.iceConnectionState === 'connected', 60_000);
  assert.equal(a.sctp?.transport.state, 'connected');
  assert.equal(b.sctp?.transport.state, 'connected');
  assert.equal(channel.readyState, 'open');
});
