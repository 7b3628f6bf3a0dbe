/**
 * W3C §4.4.1.6: setting a description changes the connection in a queued task, the one that fires
 * signalingstatechange and resolves the promise; a remote offer in have-local-offer first rolls back in a
 * task of its own, so each of its two state changes can be awaited.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RTCPeerConnection } from './peer-connection.ts';

/** Whether an attribute reads null (a call, so that the assertion does not narrow the attribute's type). */
const isNull = (value: unknown) => value === null;
const typeOf = (description: { type: string } | null) => description?.type;

const nextStateChange = (pc: RTCPeerConnection) =>
  new Promise<void>((resolve) => {
    pc.onsignalingstatechange = () => resolve();
  });

test('the description attributes change in the task that resolves the promise, not when it is called', async (t) => {
  const pc = new RTCPeerConnection();
  const peer = new RTCPeerConnection();
  t.after(() => {
    pc.close();
    peer.close();
  });
  pc.createDataChannel('x');
  const offer = await pc.createOffer();
  const setting = pc.setLocalDescription(offer);
  assert.ok(isNull(pc.pendingLocalDescription), 'nothing changes while the caller still runs');
  assert.ok(isNull(pc.localDescription));
  assert.equal(pc.signalingState, 'stable');
  let seenInEvent: string | undefined;
  pc.onsignalingstatechange = () => {
    seenInEvent = typeOf(pc.pendingLocalDescription);
  };
  await setting;
  assert.equal(seenInEvent, 'offer', 'set before signalingstatechange fires');
  assert.equal(typeOf(pc.pendingLocalDescription), 'offer');

  const remote = peer.setRemoteDescription(offer);
  assert.ok(isNull(peer.pendingRemoteDescription));
  assert.ok(isNull(peer.remoteDescription));
  await remote;
  assert.equal(typeOf(peer.pendingRemoteDescription), 'offer');
  await peer.setLocalDescription();
  const answering = pc.setRemoteDescription(peer.localDescription!);
  assert.ok(isNull(pc.currentRemoteDescription));
  assert.equal(typeOf(pc.pendingLocalDescription), 'offer', 'the offer is still pending while called');
  await answering;
  assert.equal(typeOf(pc.currentRemoteDescription), 'answer');
  assert.ok(isNull(pc.pendingLocalDescription));
});

test('a remote offer in have-local-offer fires signalingstatechange twice, each awaitable', {
  timeout: 10_000,
}, async (t) => {
  const pc = new RTCPeerConnection();
  const peer = new RTCPeerConnection();
  t.after(() => {
    pc.close();
    peer.close();
  });
  pc.createDataChannel('ours');
  await pc.setLocalDescription();
  peer.createDataChannel('theirs');
  const offer = await peer.createOffer();
  const setting = pc.setRemoteDescription(offer);
  assert.equal(pc.signalingState, 'have-local-offer', 'not changed synchronously');
  await nextStateChange(pc);
  assert.equal(pc.signalingState, 'stable', 'first the implicit rollback');
  assert.ok(isNull(pc.pendingLocalDescription));
  assert.ok(isNull(pc.pendingRemoteDescription));
  // The chain stays ours across the two steps: an operation called now runs after the offer is applied.
  const endOfCandidates = pc.addIceCandidate();
  await nextStateChange(pc);
  assert.equal(pc.signalingState, 'have-remote-offer');
  assert.equal(typeOf(pc.pendingRemoteDescription), 'offer');
  await setting;
  await endOfCandidates;
});

test('an invalid remote offer in have-local-offer still rolls back, then rejects with an RTCError', async (t) => {
  const pc = new RTCPeerConnection();
  t.after(() => pc.close());
  pc.createDataChannel('x');
  await pc.setLocalDescription();
  const changed = nextStateChange(pc);
  const setting = pc.setRemoteDescription({ type: 'offer', sdp: 'not sdp' });
  const outcome = setting.then(
    () => 'resolved',
    (error: unknown) => (error as { errorDetail?: string }).errorDetail,
  );
  await changed;
  assert.equal(pc.signalingState, 'stable');
  assert.equal(await outcome, 'sdp-syntax-error');
});
